import Foundation
import Testing

@testable import Handlers

struct AdminInitiateAuthTests {
    // MARK: Success

    @Test func signsInWithAdminUserPasswordAuth() throws {
        let s = try SignIns.setUp()
        let alice = try s.addUser()
        let out = s.h.ok("AdminInitiateAuth", s.admin())
        #expect(out["ChallengeParameters"] == [:] && out["ChallengeName"] == nil)
        let result = try #require(out["AuthenticationResult"])
        #expect(result["TokenType"] == "Bearer" && result["RefreshToken"] != nil)
        let access = try s.claims(result["AccessToken"])
        #expect(access["sub"] == .string(alice.sub) && access["client_id"] == .string(s.client.id))
        #expect(try s.claims(result["IdToken"])["aud"] == .string(s.client.id))
    }

    @Test func theLegacyAdminNoSrpAuthFlow() throws {
        let s = try SignIns.setUp(client: ["ExplicitAuthFlows": ["ADMIN_NO_SRP_AUTH"]])
        try s.addUser()
        s.h.ok("AdminInitiateAuth", s.admin(flow: "ADMIN_NO_SRP_AUTH"))
        s.h.ok("AdminInitiateAuth", s.admin(flow: "ADMIN_USER_PASSWORD_AUTH"))
        // The public password flow is not among the legacy name's.
        s.refused(s.initiate(), "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
    }

    @Test func refresh() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let token = try #require(s.h.ok("AdminInitiateAuth", s.admin())["AuthenticationResult"]?["RefreshToken"])
        let refresh: JSON = [
            "UserPoolId": .string(s.poolId), "ClientId": .string(s.client.id), "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": ["REFRESH_TOKEN": token],
        ]
        let result = try #require(s.h.ok("AdminInitiateAuth", refresh)["AuthenticationResult"])
        #expect(result["AccessToken"] != nil && result["RefreshToken"] == nil)
        // Tokens of one pool never refresh in another.
        let other = try SignIns.setUp(harness: s.h)
        s.refused(Clients.with(refresh, ["UserPoolId": .string(other.poolId), "ClientId": .string(other.client.id)]),
                  "NotAuthorizedException", "Invalid Refresh Token", operation: "AdminInitiateAuth")
    }

    @Test func aTemporaryPasswordAsksForANewOne() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let out = s.h.ok("AdminInitiateAuth", s.admin())
        #expect(out["ChallengeName"] == "NEW_PASSWORD_REQUIRED" && out["Session"] != nil)
        #expect(out["ChallengeParameters"]?["USER_ID_FOR_SRP"] == "alice")
    }

    @Test func queryForm() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let (status, body) = s.h.query("AdminInitiateAuth", [
            ("UserPoolId", s.poolId), ("ClientId", s.client.id), ("AuthFlow", "ADMIN_USER_PASSWORD_AUTH"),
            ("AuthParameters", #"{"USERNAME":"alice","PASSWORD":"\#(SignIns.password)"}"#),
        ])
        #expect(status == 200)
        #expect(body["AuthenticationResult"]?["IdToken"] != nil)
    }

    // MARK: Refusals

    @Test func unknownPoolOrClient() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        s.refused(Clients.with(s.admin(), ["UserPoolId": "us-east-1_nosuchpool"]), "ResourceNotFoundException",
                  "User pool us-east-1_nosuchpool does not exist.", operation: "AdminInitiateAuth")
        s.refused(Clients.with(s.admin(), ["ClientId": "nosuchclient"]), "ResourceNotFoundException",
                  "User pool client nosuchclient does not exist.", operation: "AdminInitiateAuth")
        // A client of another pool is not a client of this one.
        let other = try SignIns.setUp(harness: s.h)
        s.refused(Clients.with(s.admin(), ["ClientId": .string(other.client.id)]), "ResourceNotFoundException",
                  "User pool client \(other.client.id) does not exist.", operation: "AdminInitiateAuth")
    }

    @Test func theClientMustAllowTheAdminFlow() throws {
        let s = try SignIns.setUp(client: SignIns.publicFlows)
        try s.addUser()
        s.refused(s.admin(), "InvalidParameterException", "ADMIN_USER_PASSWORD_AUTH flow not enabled for this client",
                  operation: "AdminInitiateAuth")
        s.refused(s.admin(flow: "ADMIN_NO_SRP_AUTH"), "InvalidParameterException",
                  "ADMIN_NO_SRP_AUTH flow not enabled for this client", operation: "AdminInitiateAuth")
    }

    @Test func thePublicPasswordFlowIsNotForTheAdminAPI() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        s.refused(s.admin(flow: "USER_PASSWORD_AUTH"), "InvalidParameterException",
                  "Initiate Auth method not supported", operation: "AdminInitiateAuth")
    }

    @Test func flowsThisServiceCannotDo() throws {
        let s = try SignIns.setUp(client: [:])
        let message = s.refused(s.admin(flow: "USER_SRP_AUTH"), "InvalidParameterException",
                                operation: "AdminInitiateAuth")
        #expect(message.hasSuffix("sign in with ADMIN_USER_PASSWORD_AUTH."))
    }

    @Test func userRefusals() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        try s.addUser("unconfirmed", status: .unconfirmed)
        s.refused(s.admin("nobody"), "UserNotFoundException", "User does not exist.", operation: "AdminInitiateAuth")
        s.refused(s.admin("alice", "wrong"), "NotAuthorizedException", SignIns.incorrect,
                  operation: "AdminInitiateAuth")
        s.refused(s.admin("unconfirmed"), "UserNotConfirmedException", "User is not confirmed.",
                  operation: "AdminInitiateAuth")
        s.refused(s.admin("alice", ""), "NotAuthorizedException", SignIns.incorrect, operation: "AdminInitiateAuth")
        #expect(try s.user().failedSignIns == 2)
    }

    @Test func aClientWithASecretNeedsTheSecretHashHereToo() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["GenerateSecret": true]))
        try s.addUser()
        s.h.ok("AdminInitiateAuth", s.admin())
        let input = Clients.with(s.admin(), [
            "AuthParameters": ["USERNAME": "alice", "PASSWORD": .string(SignIns.password)],
        ])
        s.refused(input, "NotAuthorizedException",
                  "Client \(s.client.id) is configured with secret but SECRET_HASH was not received",
                  operation: "AdminInitiateAuth")
    }
}
