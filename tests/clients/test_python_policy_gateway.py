"""Bring your own policy engine: the real friendgate-gateway pointed at
examples/python_policy (a PolicyService written in Python), driven with the
vendors' exact callback payloads over real HTTP."""

import signal
import unittest

import fgtest

TENCENT_APP = "1400000000"  # examples/gateway.yaml: an unsigned app
TENCENT_RANGE = range(38000, 39001)
OPENIM_RANGE = range(20001, 30000)


class PythonPolicyBehindGatewayTest(unittest.TestCase):
    def setUp(self):
        self.policy, policy_port = fgtest.start_python_policy(["--block=blocked_user,spammer"])
        self.addCleanup(self.policy.stop)
        self.gateway, http_port = fgtest.start_gateway(policy_port)
        self.addCleanup(self.gateway.stop)
        self.base = "http://127.0.0.1:%d" % http_port

    def tencent(self, command, body):
        url = ("%s/tencent/callback?SdkAppid=%s&CallbackCommand=%s&contenttype=json"
               "&ClientIP=203.0.113.7&OptPlatform=Android" % (self.base, TENCENT_APP, command))
        status, answer = fgtest.post_json(url, dict(body, CallbackCommand=command))
        self.assertEqual(status, 200)
        self.assertEqual(answer["ActionStatus"], "OK", answer)
        self.assertEqual(answer["ErrorCode"], 0, answer)
        return answer

    def openim(self, command, body):
        status, answer = fgtest.post_json("%s/openim/%s" % (self.base, command),
                                          dict(body, callbackCommand=command),
                                          headers={"operationID": "op-client-tests"})
        self.assertEqual(status, 200)
        for key in ("actionCode", "errCode", "nextCode"):
            self.assertIs(type(answer[key]), int, answer)  # numbers, never strings
        return answer

    def policy_decisions(self):
        return self.policy.stderr().count('"msg":"decided"')

    def test_tencent_friend_response_refuses_only_the_blocked_target(self):
        answer = self.tencent("Sns.CallbackPrevFriendResponse", {
            "Requester_Account": "alice", "From_Account": "alice",
            "ResponseFriendItem": [
                {"To_Account": "bob", "Remark": "Bob", "TagName": "friends",
                 "ResponseAction": "Response_Action_AgreeAndAdd"},
                {"To_Account": "blocked_user", "Remark": "", "TagName": "",
                 "ResponseAction": "Response_Action_Agree"},
                {"To_Account": "carol", "Remark": "", "TagName": "",
                 "ResponseAction": "Response_Action_Reject"}],
            "EventTime": 1669872112000})
        items = {i["To_Account"]: i for i in answer["ResultItem"]}
        self.assertEqual(set(items), {"bob", "blocked_user", "carol"})
        self.assertEqual(items["bob"]["ResultCode"], 0)
        self.assertEqual(items["carol"]["ResultCode"], 0)
        self.assertIn(items["blocked_user"]["ResultCode"], TENCENT_RANGE)
        self.assertEqual(items["blocked_user"]["ResultCode"], 38200)  # the Python policy's code
        self.assertEqual(items["blocked_user"]["ResultInfo"],
                         "this user cannot make or answer friend requests")

    def test_tencent_friend_add_allowed_targets_reach_the_policy(self):
        before = self.policy_decisions()
        answer = self.tencent("Sns.CallbackPrevFriendAdd", {
            "Requester_Account": "alice", "From_Account": "alice",
            "FriendItem": [{"To_Account": "bob", "Remark": "", "GroupName": "",
                            "AddSource": "AddSource_Type_Android", "AddWording": "hi"},
                           {"To_Account": "spammer", "Remark": "", "GroupName": "",
                            "AddSource": "AddSource_Type_Android", "AddWording": "hi"}],
            "AddType": "Add_Type_Both", "ForceAddFlags": 0, "EventTime": 1669872112000})
        codes = {i["To_Account"]: i["ResultCode"] for i in answer["ResultItem"]}
        self.assertEqual(codes["bob"], 0)
        self.assertIn(codes["spammer"], TENCENT_RANGE)
        # The allow came from the Python policy, not from the failure mode.
        self.assertEqual(self.policy_decisions(), before + 1)

    def test_openim_before_add_friend_refused(self):
        answer = self.openim("callbackBeforeAddFriendCommand", {
            "fromUserID": "blocked_user", "toUserID": "bob", "reqMsg": "hello", "ex": ""})
        self.assertEqual(answer["actionCode"], 0)
        self.assertEqual(answer["nextCode"], 1)
        self.assertIn(answer["errCode"], OPENIM_RANGE)
        self.assertEqual(answer["errCode"], 20200)
        self.assertEqual(answer["errMsg"], "this user cannot make or answer friend requests")

    def test_openim_before_add_friend_allowed(self):
        before = self.policy_decisions()
        answer = self.openim("callbackBeforeAddFriendCommand", {
            "fromUserID": "carol", "toUserID": "bob", "reqMsg": "hello", "ex": ""})
        self.assertEqual((answer["actionCode"], answer["nextCode"], answer["errCode"]), (0, 0, 0))
        self.assertEqual(self.policy_decisions(), before + 1)

    def test_openim_agree_refused_when_requester_blocked(self):
        # blackUserID holds the answering user; fromUserID the one who asked.
        answer = self.openim("callbackBeforeAddFriendAgreeCommand", {
            "fromUserID": "spammer", "blackUserID": "bob", "HandleResult": 1,
            "HandleMsg": "ok"})
        self.assertEqual(answer["nextCode"], 1)
        self.assertIn(answer["errCode"], OPENIM_RANGE)

    def test_after_callbacks_are_answered_ok(self):
        answer = self.tencent("Sns.CallbackFriendDelete", {
            "PairList": [{"From_Account": "blocked_user", "To_Account": "bob"}]})
        self.assertNotIn("ResultItem", answer)
        answer = self.openim("callbackAfterDeleteFriendCommand",
                             {"ownerUserID": "blocked_user", "friendUserID": "bob"})
        self.assertEqual((answer["actionCode"], answer["nextCode"]), (0, 0))

    def test_readiness_follows_the_python_health_service(self):
        ready = self.base + "/readyz"
        self.assertEqual(fgtest.http_get(ready)[0], 200)
        self.policy.signal(signal.SIGTERM)
        self.assertEqual(self.policy.wait_exit(timeout=30), 0)
        fgtest.wait_http_status(ready, 503)
        # With the policy gone, examples/gateway.yaml fails open for Tencent:
        # the same refusal as above now comes back allowed, which proves the
        # refusals above were the Python policy's.
        answer = self.tencent("Sns.CallbackPrevFriendAdd", {
            "Requester_Account": "alice", "From_Account": "alice",
            "FriendItem": [{"To_Account": "spammer", "Remark": "", "GroupName": "",
                            "AddSource": "AddSource_Type_Web", "AddWording": ""}],
            "AddType": "Add_Type_Single", "ForceAddFlags": 0, "EventTime": 1669872112000})
        self.assertEqual(answer["ResultItem"][0]["ResultCode"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
