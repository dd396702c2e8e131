{{/* Rules of gateway/core/settings.cc that span several keys: the gateway refuses such a
     config at start (a crash loop), so the chart refuses it first, naming the key. The
     single-key rules are in values.schema.json (deploy/scripts/gen_values_schema.py).
     tests/deploy/helm_checks.py `parity` checks every rule against the real binary. */}}
{{- define "friendgate.validateGatewayConfig" -}}
{{- $cfg := .Values.gateway.config | default dict -}}
{{- $env := list -}}
{{- range $name, $_ := .Values.gateway.secretEnv }}{{ $env = append $env $name }}{{ end -}}
{{- range .Values.gateway.extraEnv }}{{ $env = append $env .name }}{{ end -}}
{{- $tencent := $cfg.tencent | default dict -}}
{{- $tpath := $tencent.path | default "/tencent/callback" -}}
{{- if not (or $tencent.apps $cfg.openim) -}}
{{- fail "gateway.config: configure at least one Tencent app (tencent.apps) or OpenIM instance (openim)" -}}
{{- end -}}
{{- $fm := $tencent.failure_mode | default dict -}}
{{- if and $fm.deny_code (or (lt (int $fm.deny_code) 38000) (gt (int $fm.deny_code) 39000)) -}}
{{- fail (printf "gateway.config.tencent.failure_mode.deny_code: %v must be in [38000, 39000]" $fm.deny_code) -}}
{{- end -}}
{{- $ids := dict -}}
{{- range $i, $app := $tencent.apps | default list -}}
{{- $key := printf "gateway.config.tencent.apps[%d]" $i -}}
{{- if hasKey $ids (toString $app.sdk_app_id) -}}
{{- fail (printf "%s.sdk_app_id: SdkAppid %v is listed twice" $key $app.sdk_app_id) -}}
{{- end -}}
{{- $_ := set $ids (toString $app.sdk_app_id) true -}}
{{- include "friendgate.validateSecretRef" (dict "key" (printf "%s.token" $key) "env" $app.token_env "file" $app.token_file "envs" $env) -}}
{{- end -}}
{{- $names := dict -}}
{{- $prefixes := dict -}}
{{- range $i, $im := $cfg.openim | default list -}}
{{- $key := printf "gateway.config.openim[%d]" $i -}}
{{- $name := $im.name | default "openim" -}}
{{- $prefix := $im.path_prefix | default "/openim" -}}
{{- if hasKey $names $name -}}
{{- fail (printf "%s.name: '%s' is used twice (an unnamed instance is 'openim')" $key $name) -}}
{{- end -}}
{{- if hasKey $prefixes $prefix -}}
{{- fail (printf "%s.path_prefix: '%s' is used twice (unset means /openim)" $key $prefix) -}}
{{- end -}}
{{- $_ := set $names $name true -}}
{{- $_ := set $prefixes $prefix true -}}
{{- if and $tencent.apps (hasPrefix (printf "%s/" $prefix) $tpath) -}}
{{- fail (printf "%s.path_prefix: '%s' overlaps tencent.path '%s'" $key $prefix $tpath) -}}
{{- end -}}
{{- $ifm := $im.failure_mode | default dict -}}
{{- if and $ifm.deny_code (or (lt (int $ifm.deny_code) 20001) (gt (int $ifm.deny_code) 29999)) -}}
{{- fail (printf "%s.failure_mode.deny_code: %v must be in [20001, 29999]" $key $ifm.deny_code) -}}
{{- end -}}
{{- with $im.basic_auth -}}
{{- if not (or .password_env .password_file) -}}
{{- fail (printf "%s.basic_auth: needs password_env or password_file" $key) -}}
{{- end -}}
{{- include "friendgate.validateSecretRef" (dict "key" (printf "%s.basic_auth.password" $key) "env" .password_env "file" .password_file "envs" $env) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A secret named by *_env / *_file: not both, and an _env must be set in the pod. */}}
{{- define "friendgate.validateSecretRef" -}}
{{- if and .env .file -}}
{{- fail (printf "%s: give either %s_env or %s_file, not both" .key .key .key) -}}
{{- end -}}
{{- if and .env (not (has .env .envs)) -}}
{{- fail (printf "%s_env: environment variable %s is not set in the gateway pod (add it to gateway.secretEnv or gateway.extraEnv)" .key .env) -}}
{{- end -}}
{{- end -}}
