{{/* Names. Component suffixes are at most "-policy-headless" (16), so the base is cut to 47. */}}
{{- define "friendgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "friendgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 47 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 47 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 47 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "friendgate.gateway.fullname" -}}{{ include "friendgate.fullname" . }}-gateway{{- end -}}
{{- define "friendgate.policy.fullname" -}}{{ include "friendgate.fullname" . }}-policy{{- end -}}
{{- define "friendgate.policy.headless" -}}{{ include "friendgate.fullname" . }}-policy-headless{{- end -}}

{{- define "friendgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "friendgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "friendgate.secretName" -}}
{{- default (printf "%s-secrets" (include "friendgate.fullname" .)) .Values.secret.existingSecret -}}
{{- end -}}

{{/* True ("true") when the gateway mounts a Secret. */}}
{{- define "friendgate.hasSecret" -}}
{{- if or .Values.secret.existingSecret .Values.secret.data -}}true{{- end -}}
{{- end -}}

{{- define "friendgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "friendgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: friendgate
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "gateway"). */}}
{{- define "friendgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "friendgate.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "friendgate.componentLabels" -}}
{{ include "friendgate.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image reference from an image block: (dict "ctx" $ "image" .Values.gateway.image). */}}
{{- define "friendgate.image" -}}
{{- $tag := default .ctx.Chart.AppVersion .image.tag -}}
{{- $repo := .image.repository -}}
{{- if .image.registry -}}{{- $repo = printf "%s/%s" .image.registry .image.repository -}}{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{/* host:port for a listen flag; IPv6 hosts get brackets. (dict "host" .. "port" ..) */}}
{{- define "friendgate.listen" -}}
{{- if contains ":" .host -}}[{{ .host }}]:{{ .port }}{{- else -}}{{ .host }}:{{ .port }}{{- end -}}
{{- end -}}

{{/* Whole seconds from milliseconds, rounded up. */}}
{{- define "friendgate.ceilSeconds" -}}
{{- div (add (int .) 999) 1000 -}}
{{- end -}}

{{/* The gateway's whole drain in ms: http.drain_accept_s (still accepting, /readyz 503)
     then http.drain_timeout_ms (in-flight requests). */}}
{{- define "friendgate.gateway.drainMs" -}}
{{- $http := .Values.gateway.config.http | default dict -}}
{{- add ($http.drain_timeout_ms | default 10000 | int) (mul ($http.drain_accept_s | default 0 | int) 1000) -}}
{{- end -}}

{{/* Grace period: preStop sleep + drain + 5 s of margin for exit, or the value given
     (which must then exceed preStop sleep + drain). (dict "given" .. "drainMs" .. "sleep" .. "what" ..) */}}
{{- define "friendgate.grace" -}}
{{- $need := add (int .sleep) (include "friendgate.ceilSeconds" .drainMs | int) -}}
{{- if kindIs "invalid" .given -}}
{{- add $need 5 -}}
{{- else -}}
{{- if le (int .given) $need -}}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must be longer than preStopSleepSeconds + drain time (%d s)" .what (int .given) $need) -}}
{{- end -}}
{{- int .given -}}
{{- end -}}
{{- end -}}

{{/* The paths a vendor calls: tencent.path when apps are configured, every OpenIM path_prefix. */}}
{{- define "friendgate.callbackPaths" -}}
{{- $cfg := .Values.gateway.config -}}
{{- $paths := list -}}
{{- $tencent := $cfg.tencent | default dict -}}
{{- if $tencent.apps -}}
{{- $paths = append $paths (dict "path" ($tencent.path | default "/tencent/callback") "type" "Exact" "vendor" "tencent") -}}
{{- end -}}
{{- range $cfg.openim | default list -}}
{{- $paths = append $paths (dict "path" (.path_prefix | default "/openim") "type" "Prefix" "vendor" "openim" "name" (.name | default "openim") "basicAuth" (and .basic_auth true)) -}}
{{- end -}}
{{- toJson $paths -}}
{{- end -}}

{{/* True ("true") when the policy service is deployed by this chart. */}}
{{- define "friendgate.policy.enabled" -}}
{{- if .Values.policy.enabled -}}true{{- end -}}
{{- end -}}

{{- define "friendgate.policySecretName" -}}
{{- default (printf "%s-policy-secrets" (include "friendgate.fullname" .)) .Values.policy.secret.existingSecret -}}
{{- end -}}

{{/* True ("true") when the policy pods mount a Secret. */}}
{{- define "friendgate.policy.hasSecret" -}}
{{- if or .Values.policy.secret.existingSecret .Values.policy.secret.data -}}true{{- end -}}
{{- end -}}

{{/* The gateway's gRPC target: the chart's headless Service, or gateway.policyTarget
     when the policy service is not deployed by this chart. */}}
{{- define "friendgate.gateway.policyTarget" -}}
{{- if .Values.policy.enabled -}}
dns:///{{ include "friendgate.policy.headless" . }}.{{ .Release.Namespace }}.svc.{{ .Values.clusterDomain }}:{{ .Values.policy.grpcPort }}
{{- else -}}
{{- .Values.gateway.policyTarget -}}
{{- end -}}
{{- end -}}

{{/* preStop that waits N seconds before SIGTERM: the native sleep action from
     Kubernetes 1.30 (PodLifecycleSleepAction on by default), `exec /bin/sleep N` below
     (the images are Debian-based: /bin/sleep is there). (dict "ctx" $ "seconds" N) */}}
{{- define "friendgate.preStop" -}}
{{- if gt (int .seconds) 0 }}
lifecycle:
  preStop:
    {{- if semverCompare ">=1.30.0-0" .ctx.Capabilities.KubeVersion.Version }}
    sleep:
      seconds: {{ int .seconds }}
    {{- else }}
    exec:
      command: ["/bin/sleep", "{{ int .seconds }}"]
    {{- end }}
{{- end }}
{{- end -}}

{{/* Scheduling: the component's affinity, or the podAntiAffinityPreset (soft: prefer one
     pod per node; hard: require it) when affinity is empty; topologySpreadConstraints, or
     a zone spread (zoneSpread) when they are empty. (dict "ctx" $ "component" "gateway") */}}
{{- define "friendgate.scheduling" -}}
{{- $v := index .ctx.Values .component -}}
{{- $selector := include "friendgate.selectorLabels" (dict "ctx" .ctx "component" .component) | fromYaml -}}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.affinity }}
affinity:
  {{- toYaml $v.affinity | nindent 2 }}
{{- else if eq $v.podAntiAffinityPreset "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- toYaml $selector | nindent 14 }}
{{- else if eq $v.podAntiAffinityPreset "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- toYaml $selector | nindent 12 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml $v.topologySpreadConstraints | nindent 2 }}
{{- else if $v.zoneSpread.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ $v.zoneSpread.maxSkew }}
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ $v.zoneSpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- toYaml $selector | nindent 8 }}
{{- end }}
{{- end -}}

{{/* The gateway config file: gateway.config, plus policy.tls (gateway.policyTls),
     http.tls (gateway.tls) and http.metrics_listen when gateway.metrics.enabled (the
     chart's metrics port). */}}
{{- define "friendgate.gateway.configFile" -}}
{{- $cfg := deepCopy (.Values.gateway.config | default dict) -}}
{{- $tls := .Values.gateway.policyTls -}}
{{- if $tls.enabled -}}
{{- $pol := get $cfg "policy" | default dict -}}
{{- $t := dict "ca_file" "/etc/friendgate/policy-tls/ca.crt" -}}
{{- if $tls.clientCert }}{{ $_ := set $t "cert_file" "/etc/friendgate/policy-tls/tls.crt" }}{{ $_ := set $t "key_file" "/etc/friendgate/policy-tls/tls.key" }}{{ end -}}
{{- with $tls.serverName }}{{ $_ := set $t "server_name" . }}{{ end -}}
{{- $_ := set $pol "tls" $t -}}
{{- $_ := set $cfg "policy" $pol -}}
{{- end -}}
{{- if .Values.gateway.tls.enabled -}}
{{- $http := get $cfg "http" | default dict -}}
{{- $_ := set $http "tls" (dict "cert_file" "/etc/friendgate/tls/tls.crt" "key_file" "/etc/friendgate/tls/tls.key") -}}
{{- $_ := set $cfg "http" $http -}}
{{- end -}}
{{- if .Values.gateway.metrics.enabled -}}
{{- $http := get $cfg "http" | default dict -}}
{{- $_ := set $http "metrics_listen" (include "friendgate.listen" (dict "host" .Values.listenHost "port" .Values.gateway.metrics.port)) -}}
{{- $_ := set $cfg "http" $http -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The components this release deploys, as a JSON list. */}}
{{- define "friendgate.components" -}}
{{- if .Values.policy.enabled -}}["gateway","policy"]{{- else -}}["gateway"]{{- end -}}
{{- end -}}

{{- define "friendgate.redisSecretName" -}}
{{- if .Values.redis.enabled -}}
{{- default (printf "%s-redis" (include "friendgate.fullname" .)) .Values.redis.auth.existingSecret -}}
{{- else -}}
{{- .Values.externalRedis.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "friendgate.redisSecretKey" -}}
{{- if .Values.redis.enabled -}}
{{- if .Values.redis.auth.existingSecret }}{{ .Values.redis.auth.existingSecretPasswordKey }}{{ else }}redis-password{{ end -}}
{{- else -}}
{{- .Values.externalRedis.existingSecretPasswordKey -}}
{{- end -}}
{{- end -}}

{{/* --store's value: the chart's Redis, or externalRedis.url. */}}
{{- define "friendgate.storeUrl" -}}
{{- if .Values.redis.enabled -}}
redis://{{ include "friendgate.fullname" . }}-redis.{{ .Release.Namespace }}.svc.{{ .Values.clusterDomain }}:6379/0
{{- else -}}
{{- .Values.externalRedis.url -}}
{{- end -}}
{{- end -}}
