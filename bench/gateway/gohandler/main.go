// Command gohandler is the benchmark's "what a team would write by hand instead
// of friendgate": a Go net/http server that parses the vendors' friendship
// callbacks with encoding/json, checks the Tencent SdkAppid, applies one
// in-process blocklist and answers in each vendor's schema. It has no policy
// hop, no rule engine, no metrics and no signature check: it is the floor a
// hand-written handler reaches, not a product. scripts/bench checks that it
// answers the benchmark samples byte for byte as the gateway does.
//
// Usage: gohandler --listen=127.0.0.1:0   (prints {"http":"HOST:PORT"} on stderr)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
)

const (
	maxBody      = 1 << 20
	refuseCode   = 38100
	refuseReason = "this user cannot make or answer friend requests"
)

// The examples/rules.yaml blocklist entry the samples exercise.
var blocked = map[string]bool{"blocked_user": true}

var knownApps = map[string]bool{"1400000000": true, "1400000001": true}

type tencentItem struct {
	ToAccount      string `json:"To_Account"`
	FromAccount    string `json:"From_Account"`
	Remark         string `json:"Remark"`
	ResponseAction string `json:"ResponseAction"`
}

type tencentCallback struct {
	CallbackCommand    string        `json:"CallbackCommand"`
	FromAccount        string        `json:"From_Account"`
	RequesterAccount   string        `json:"Requester_Account"`
	PairList           []tencentItem `json:"PairList"`
	FriendItem         []tencentItem `json:"FriendItem"`
	ResponseFriendItem []tencentItem `json:"ResponseFriendItem"`
	EventTime          int64         `json:"EventTime"`
}

type resultItem struct {
	ToAccount  string `json:"To_Account"`
	ResultCode int    `json:"ResultCode"`
	ResultInfo string `json:"ResultInfo"`
}

type tencentAnswer struct {
	ActionStatus string       `json:"ActionStatus"`
	ErrorCode    int          `json:"ErrorCode"`
	ErrorInfo    string       `json:"ErrorInfo"`
	ResultItem   []resultItem `json:"ResultItem,omitempty"`
}

type openimCallback struct {
	CallbackCommand string   `json:"callbackCommand"`
	OwnerUserID     string   `json:"ownerUserID"`
	FromUserID      string   `json:"fromUserID"`
	ToUserID        string   `json:"toUserID"`
	FriendUserID    string   `json:"friendUserID"`
	FriendUserIDs   []string `json:"friendUserIDs"`
	ReqMsg          string   `json:"reqMsg"`
}

type openimAnswer struct {
	ActionCode int    `json:"actionCode"`
	ErrCode    int    `json:"errCode"`
	ErrMsg     string `json:"errMsg"`
	ErrDlt     string `json:"errDlt"`
	NextCode   int    `json:"nextCode"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, false
	}
	return body, true
}

func tencent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	body, ok := readBody(w, r)
	var cb tencentCallback
	if !ok || !knownApps[q.Get("SdkAppid")] || json.Unmarshal(body, &cb) != nil {
		writeJSON(w, http.StatusBadRequest, tencentAnswer{ActionStatus: "FAIL", ErrorCode: 1, ErrorInfo: "bad request"})
		return
	}
	answer := tencentAnswer{ActionStatus: "OK"}
	switch q.Get("CallbackCommand") {
	case "Sns.CallbackPrevFriendAdd":
		for _, it := range cb.FriendItem {
			answer.ResultItem = append(answer.ResultItem, decide(cb.FromAccount, it.ToAccount))
		}
	case "Sns.CallbackPrevFriendResponse":
		for _, it := range cb.ResponseFriendItem {
			// A decline always passes: a blocked user must be able to get rid of a request.
			if it.ResponseAction == "Response_Action_Reject" {
				answer.ResultItem = append(answer.ResultItem, resultItem{ToAccount: it.ToAccount})
				continue
			}
			answer.ResultItem = append(answer.ResultItem, decide(cb.FromAccount, it.ToAccount))
		}
	}
	writeJSON(w, http.StatusOK, answer)
}

func decide(from, to string) resultItem {
	if blocked[from] || blocked[to] {
		return resultItem{ToAccount: to, ResultCode: refuseCode, ResultInfo: refuseReason}
	}
	return resultItem{ToAccount: to}
}

func openim(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	var cb openimCallback
	if !ok || json.Unmarshal(body, &cb) != nil {
		writeJSON(w, http.StatusBadRequest, openimAnswer{ActionCode: 1, ErrCode: 1, ErrMsg: "bad request"})
		return
	}
	answer := openimAnswer{}
	if strings.HasPrefix(strings.TrimPrefix(r.URL.Path, "/openim/"), "callbackBefore") &&
		(blocked[cb.FromUserID] || blocked[cb.ToUserID] || blocked[cb.OwnerUserID]) {
		answer = openimAnswer{ErrCode: 20001, ErrMsg: refuseReason, NextCode: 1}
	}
	writeJSON(w, http.StatusOK, answer)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "HOST:PORT to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "{\"http\":%q}\n", ln.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("/tencent/callback", tencent)
	mux.HandleFunc("/openim/", openim)
	log.Fatal(http.Serve(ln, mux))
}
