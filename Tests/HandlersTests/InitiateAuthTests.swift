import Foundation
import Testing

@testable import Handlers

struct InitiateAuthTests {
    // MARK: USER_PASSWORD_AUTH

    @Test func signsInWithUsernameAndPassword() throws {
        let s = try SignIns.setUp()
        let alice = try s.addUser("alice", ["email": "alice@example.com", "email_verified": "true"])
        let out = s.h.ok("InitiateAuth", s.initiate())
        #expect(out["ChallengeName"] == nil && out["Session"] == nil)
        #expect(out["ChallengeParameters"] == [:])
        let result = try #require(out["AuthenticationResult"])
        #expect(result["TokenType"] == "Bearer")
        #expect(result["ExpiresIn"] == 3600)

        let access = try s.claims(result["AccessToken"])
        #expect(access["token_use"] == "access" && access["client_id"] == .string(s.client.id))
        #expect(access["username"] == "alice" && access["sub"] == .string(alice.sub))
        #expect(access["iss"] == .string("http://127.0.0.1:8080/" + s.poolId))
        #expect(access["auth_time"] == .int(Int(s.h.clock.now().timeIntervalSince1970)))
        let id = try s.claims(result["IdToken"])
        #expect(id["token_use"] == "id" && id["aud"] == .string(s.client.id))
        #expect(id["cognito:username"] == "alice" && id["email"] == "alice@example.com")
        #expect(id["email_verified"] == true)

        // The refresh token is stored only as a hash, with the sign-in's origin.
        let token = try #require(result["RefreshToken"]?.stringValue)
        let user = try s.user()
        let record = try #require(RefreshTokens.find(token, in: user))
        #expect(record.clientId == s.client.id && .string(record.originJti) == access["origin_jti"])
        #expect(!user.toJSON().serializedString().contains(token))
        #expect(user.modified == alice.modified)
    }

    @Test func signsInByVerifiedAliasOrSubInAnyCase() throws {
        let s = try SignIns.setUp(["AliasAttributes": ["email", "preferred_username"]])
        let alice = try s.addUser(
            "alice", ["email": "Alice@Example.com", "email_verified": "true", "preferred_username": "ally"])
        try s.addUser("bob", ["email": "bob@example.com", "email_verified": "false"])
        for name in ["alice", "ALICE", "alice@example.com", "ALICE@EXAMPLE.COM", "ally", alice.sub] {
            let access = try s.claims(s.signIn(name)["AccessToken"])
            #expect(access["username"] == "alice", "\(name)")
        }
        // An unverified email is no sign-in alias.
        s.refused(s.initiate("bob@example.com"), "UserNotFoundException", "User does not exist.")
        s.signIn("bob")
    }

    @Test func emailAsUsername() throws {
        let s = try SignIns.setUp(SignUps.emailPool)
        SignUps.signUp(s.h, s.client, "carol@example.com", attributes: [:])
        s.h.ok("AdminConfirmSignUp", AdminUsers.ids(s.poolId, "carol@example.com"))
        let result = s.signIn("Carol@Example.com", SignUps.password)
        let access = try s.claims(result["AccessToken"])
        let user = try s.user("carol@example.com")
        #expect(access["username"] == .string(user.username) && user.username == user.sub)
    }

    @Test func legacyFlowNamesAllowThePasswordFlow() throws {
        let s = try SignIns.setUp(client: ["ExplicitAuthFlows": ["USER_PASSWORD_AUTH"]])
        try s.addUser()
        s.signIn()
    }

    @Test func aClientWithASecretNeedsTheSecretHash() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["GenerateSecret": true]))
        try s.addUser()
        #expect(s.client.secret != nil)
        s.signIn()
        var input = s.initiate()
        var parameters = try #require(input["AuthParameters"]?.objectValue)
        parameters["SECRET_HASH"] = nil
        input = Clients.with(input, ["AuthParameters": .object(parameters)])
        s.refused(input, "NotAuthorizedException",
                  "Client \(s.client.id) is configured with secret but SECRET_HASH was not received")
        parameters["SECRET_HASH"] = .string(try #require(s.client.secretHash("bob")))
        s.refused(Clients.with(input, ["AuthParameters": .object(parameters)]), "NotAuthorizedException",
                  "Unable to verify secret hash for client \(s.client.id)")
        // Nothing was counted: a bad SecretHash is not a password guess.
        #expect(try s.user().failedSignIns == 0)
    }

    @Test func queryForm() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let (status, body) = s.h.query("InitiateAuth", [
            ("ClientId", s.client.id), ("AuthFlow", "USER_PASSWORD_AUTH"),
            ("AuthParameters.entry.1.key", "USERNAME"), ("AuthParameters.entry.1.value", "alice"),
            ("AuthParameters.entry.2.key", "PASSWORD"), ("AuthParameters.entry.2.value", SignIns.password),
        ])
        #expect(status == 200)
        #expect(body["AuthenticationResult"]?["AccessToken"] != nil)
    }

    // MARK: Refusals

    @Test func unknownClient() throws {
        let s = try SignIns.setUp()
        let input = Clients.with(s.initiate(), ["ClientId": "nosuchclient"])
        s.refused(input, "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
    }

    @Test func aFlowTheClientDoesNotAllow() throws {
        let s = try SignIns.setUp(client: [:])  // the defaults: refresh, SRP, custom
        try s.addUser()
        let before = s.h.snapshot()
        s.refused(s.initiate(), "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
        #expect(s.h.snapshot() == before)

        let only = try SignIns.setUp(client: SignIns.publicFlows, harness: s.h)
        only.refused(only.initiate(flow: "USER_SRP_AUTH"), "InvalidParameterException",
                     "USER_SRP_AUTH flow not enabled for this client")
        only.refused(only.initiate(flow: "CUSTOM_AUTH"), "InvalidParameterException",
                     "CUSTOM_AUTH flow not enabled for this client")
        only.refused(only.initiate(flow: "USER_AUTH"), "InvalidParameterException",
                     "USER_AUTH flow not enabled for this client")
    }

    @Test func flowsThisServiceCannotDo() throws {
        let s = try SignIns.setUp(client: [:])
        try s.addUser()
        for flow in ["USER_SRP_AUTH", "CUSTOM_AUTH"] {
            let message = s.refused(s.initiate(flow: flow), "InvalidParameterException")
            #expect(message.hasPrefix("\(flow) is not supported by this service"))
            #expect(message.hasSuffix("sign in with USER_PASSWORD_AUTH."))
        }
    }

    @Test func adminFlowsAreNotForInitiateAuth() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        for flow in ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"] {
            s.refused(s.initiate(flow: flow), "InvalidParameterException", "Initiate Auth method not supported")
        }
    }

    @Test func missingParameters() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let base: JSON = ["ClientId": .string(s.client.id), "AuthFlow": "USER_PASSWORD_AUTH"]
        s.refused(base, "InvalidParameterException", "Missing required parameter USERNAME")
        s.refused(Clients.with(base, ["AuthParameters": ["PASSWORD": "x"]]), "InvalidParameterException",
                  "Missing required parameter USERNAME")
        s.refused(Clients.with(base, ["AuthParameters": ["USERNAME": "alice"]]), "InvalidParameterException",
                  "Missing required parameter PASSWORD")
        s.refused(Clients.with(base, ["AuthFlow": "REFRESH_TOKEN_AUTH"]), "InvalidParameterException",
                  "Missing required parameter REFRESH_TOKEN")
        #expect(s.refused(Clients.with(base, ["AuthFlow": "PASSWORD"]), "InvalidParameterException")
                    .hasPrefix("1 validation error detected: Value 'PASSWORD' at 'authFlow' failed to satisfy"))
    }

    @Test func unknownUserLegacy() throws {
        let s = try SignIns.setUp()
        let before = s.h.snapshot()
        s.refused(s.initiate("nobody"), "UserNotFoundException", "User does not exist.")
        #expect(s.h.snapshot() == before)
    }

    @Test func unknownUserWithExistenceErrorsPrevented() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["PreventUserExistenceErrors": "ENABLED"]))
        try s.addUser("nopassword", password: nil)
        let before = s.h.snapshot()
        s.refused(s.initiate("nobody"), "NotAuthorizedException", SignIns.incorrect)
        s.refused(s.initiate("nopassword"), "NotAuthorizedException", SignIns.incorrect)
        #expect(s.h.snapshot() == before)
    }

    @Test func wrongPassword() throws {
        let s = try SignIns.setUp()
        let alice = try s.addUser()
        s.refused(s.initiate("alice", SignIns.password + "x"), "NotAuthorizedException", SignIns.incorrect)
        s.refused(s.initiate("alice", SignIns.password.lowercased()), "NotAuthorizedException", SignIns.incorrect)
        let user = try s.user()
        #expect(user.failedSignIns == 2 && user.lockedUntil == nil)
        #expect(user.refreshTokens.isEmpty && user.modified == alice.modified)
    }

    /// The password is checked first: only someone who knows it learns the user's state.
    @Test func stateRefusalsComeAfterTheRightPassword() throws {
        let s = try SignIns.setUp()
        try s.addUser("unconfirmed", status: .unconfirmed)
        try s.addUser("disabled") { $0.enabled = false }
        try s.addUser("reset", status: .resetRequired)
        try s.addUser("compromised", status: .compromised)
        let cases: [(String, String, String)] = [
            ("unconfirmed", "UserNotConfirmedException", "User is not confirmed."),
            ("disabled", "NotAuthorizedException", "User is disabled."),
            ("reset", "PasswordResetRequiredException", "Password reset required for the user"),
            ("compromised", "NotAuthorizedException", SignIns.incorrect),
        ]
        for (name, type, message) in cases {
            s.refused(s.initiate(name, "wrong-password"), "NotAuthorizedException", SignIns.incorrect)
            #expect(try s.user(name).failedSignIns == 1)
            s.refused(s.initiate(name), type, message)
            // The right password still clears the count, and no refresh token was issued.
            #expect(try s.user(name).failedSignIns == 0)
            #expect(try s.user(name).refreshTokens.isEmpty)
        }
    }

    // MARK: FORCE_CHANGE_PASSWORD

    @Test func aTemporaryPasswordAsksForANewOne() throws {
        let s = try SignIns.setUp(["Schema": [["Name": "name", "Required": true, "AttributeDataType": "String"]]])
        // A user who predates the requirement (AdminCreateUser would insist on it).
        try s.addUser("dave", ["email": "dave@example.com", "email_verified": "true"], status: .forceChangePassword)
        let out = s.h.ok("InitiateAuth", s.initiate("dave"))
        #expect(out["AuthenticationResult"] == nil)
        #expect(out["ChallengeName"] == "NEW_PASSWORD_REQUIRED")
        let session = try #require(out["Session"]?.stringValue)
        #expect(AuthSession.open(session, secret: s.h.store.secret)?.sub == (try s.user("dave")).sub)
        let parameters = try #require(out["ChallengeParameters"]?.objectValue)
        #expect(Set(parameters.keys) == ["USER_ID_FOR_SRP", "requiredAttributes", "userAttributes"])
        #expect(parameters["USER_ID_FOR_SRP"] == "dave")
        #expect(try JSON.parse(#require(parameters["requiredAttributes"]?.stringValue)) == ["userAttributes.name"])
        #expect(try JSON.parse(#require(parameters["userAttributes"]?.stringValue))
                == ["email": "dave@example.com", "email_verified": "true"])
        // Nothing was written: the challenge lives in the session alone.
        #expect(try s.user("dave").status == .forceChangePassword)

        s.refused(s.initiate("dave", "wrong-password"), "NotAuthorizedException", SignIns.incorrect)
    }

    @Test func anExpiredTemporaryPassword() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword) {
            $0.temporaryPasswordExpires = Date(timeIntervalSince1970: 1_790_000_000 + 7 * 86_400)
        }
        s.h.clock.advance(7 * 86_400 - 1)
        #expect(s.h.ok("InitiateAuth", s.initiate())["ChallengeName"] == "NEW_PASSWORD_REQUIRED")
        s.h.clock.advance(1)
        s.refused(s.initiate(), "NotAuthorizedException",
                  "Temporary password has expired and must be reset by an administrator.")
    }

    // MARK: REFRESH_TOKEN_AUTH

    @Test func refreshGivesNewAccessAndIDTokensOnly() throws {
        let s = try SignIns.setUp()
        try s.addUser("alice", ["email": "alice@example.com"])
        let first = s.signIn()
        let refreshToken = try #require(first["RefreshToken"]?.stringValue)
        let before = s.h.snapshot()
        s.h.clock.advance(600)
        for flow in ["REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"] {
            let out = s.h.ok("InitiateAuth", s.refresh(refreshToken, flow: flow))
            #expect(out["ChallengeParameters"] == [:])
            let result = try #require(out["AuthenticationResult"])
            #expect(result["RefreshToken"] == nil && result["TokenType"] == "Bearer" && result["ExpiresIn"] == 3600)
            let access = try s.claims(result["AccessToken"])
            let old = try s.claims(first["AccessToken"])
            #expect(access["origin_jti"] == old["origin_jti"] && access["auth_time"] == old["auth_time"])
            #expect(access["iat"] == .int(Int(s.h.clock.now().timeIntervalSince1970)))
            #expect(try s.claims(result["IdToken"])["email"] == "alice@example.com")
        }
        #expect(s.h.snapshot() == before)
    }

    /// "Refresh token rotation must be completed with GetTokensFromRefreshToken" (RefreshTokenRotationType): a
    /// rotating client refuses REFRESH_TOKEN_AUTH, from InitiateAuth and AdminInitiateAuth alike, and writes nothing.
    @Test func aRotatingClientRefusesRefreshTokenAuth() throws {
        let s = try SignIns.setUp(client: SignIns.rotating)
        try s.addUser()
        let token = try #require(s.signIn()["RefreshToken"]?.stringValue)
        let before = s.h.snapshot()
        s.refused(s.refresh(token), "InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
        let admin = SignUps.client(s.h, s.poolId, SignIns.rotating.merging([
            "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ]) { _, new in new })
        let ids: [String: JSON] = ["UserPoolId": .string(s.poolId), "ClientId": .string(admin.id)]
        let signedIn = s.h.ok("AdminInitiateAuth", .object(ids.merging([
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": ["USERNAME": "alice", "PASSWORD": .string(SignIns.password)],
        ]) { _, new in new }))
        let adminToken = try #require(signedIn["AuthenticationResult"]?["RefreshToken"]?.stringValue)
        let afterSignIn = s.h.snapshot()
        let message = s.h.fails("AdminInitiateAuth", .object(ids.merging([
            "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": ["REFRESH_TOKEN": .string(adminToken)],
        ]) { _, new in new }), "InvalidParameterException")
        #expect(message == "REFRESH_TOKEN_AUTH flow not enabled for this client")
        #expect(s.h.snapshot() == afterSignIn && before != afterSignIn)
        s.h.ok("GetTokensFromRefreshToken", s.getTokens(token))
    }

    @Test func refreshRefusals() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let token = try #require(s.signIn()["RefreshToken"]?.stringValue)
        s.refused(s.refresh("not-a-refresh-token"), "NotAuthorizedException", "Invalid Refresh Token")
        // Another client of the same pool may not use it.
        let other = try SignIns.setUp(harness: s.h)
        let otherClient = SignUps.client(s.h, s.poolId, SignIns.flows)
        s.refused(Clients.with(s.refresh(token), ["ClientId": .string(otherClient.id)]), "NotAuthorizedException",
                  "Invalid Refresh Token")
        other.refused(other.refresh(token), "NotAuthorizedException", "Invalid Refresh Token")
        // A disabled user's token no longer refreshes, nor once the user is enabled again: disabling revoked it.
        s.h.ok("AdminDisableUser", AdminUsers.ids(s.poolId, "alice"))
        s.refused(s.refresh(token), "NotAuthorizedException", "User is disabled.")
        s.h.ok("AdminEnableUser", AdminUsers.ids(s.poolId, "alice"))
        s.refused(s.refresh(token), "NotAuthorizedException", "Refresh Token has been revoked")
        // Expired with the client's refresh-token validity (30 days).
        s.h.clock.advance(1)
        let fresh = try #require(s.signIn()["RefreshToken"]?.stringValue)
        s.h.ok("InitiateAuth", s.refresh(fresh))
        s.h.clock.advance(30 * 86_400)
        s.refused(s.refresh(fresh), "NotAuthorizedException", "Invalid Refresh Token")
    }

    @Test func refreshNeedsTheClientToAllowIt() throws {
        let s = try SignIns.setUp(client: [
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
            "RefreshTokenRotation": ["Feature": "ENABLED", "RetryGracePeriodSeconds": 0],
        ])
        try s.addUser()
        let token = try #require(s.signIn()["RefreshToken"]?.stringValue)
        s.refused(s.refresh(token), "InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
    }

    @Test func refreshSecretHashIsOverTheStoredUsernameOrSub() throws {
        let s = try SignIns.setUp(
            ["AliasAttributes": ["email"]], client: SignIns.flows(["GenerateSecret": true]))
        let alice = try s.addUser("alice", ["email": "alice@example.com", "email_verified": "true"])
        let token = try #require(s.signIn("alice@example.com")["RefreshToken"]?.stringValue)
        s.h.ok("InitiateAuth", s.refresh(token, hashName: "alice"))
        s.h.ok("InitiateAuth", s.refresh(token, hashName: alice.sub))
        s.refused(s.refresh(token, hashName: "alice@example.com"), "NotAuthorizedException",
                  "Unable to verify secret hash for client \(s.client.id)")
        s.refused(s.refresh(token), "NotAuthorizedException",
                  "Client \(s.client.id) is configured with secret but SECRET_HASH was not received")
    }

    /// Under PreventUserExistenceErrors ENABLED an unknown name goes through the same lockout as a user, on the same
    /// clock (`UnknownNames`): "Password attempts exceeded" tells nobody who exists. And each wrong password costs the
    /// file system what a user's does (the failure counted in the record; for the unknown name, a file removed
    /// again), so the time an answer takes does not tell either.
    @Test func unknownNamesAreLockedOutAsUsersAre() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["PreventUserExistenceErrors": "ENABLED"]))
        try s.addUser("alice")
        func answers(_ name: String) -> [String] {
            [0, 0, 0, 0, 0, 0, 1, 0, 2, 0].map { (step: Double) in
                s.h.clock.advance(step)
                var answer = ""
                let wrote = s.h.writes(in: s.poolId) { answer = s.refused(s.initiate(name, "wrong-Passw0rd")) }
                return "\(answer) users:\(wrote.users)"
            }
        }
        let (i, e) = ("Incorrect username or password. users:true", "Password attempts exceeded users:false")
        let user = answers("alice")
        #expect(user == [i, i, i, i, i, e, i, e, i, e])
        let before = s.h.snapshot()
        #expect(answers("nobody") == user)
        #expect(s.h.snapshot() == before)
    }

    /// Without the client's secret, nothing is learnt of a refresh token: live, revoked and unknown tokens with a wrong
    /// SECRET_HASH all get the secret's error.
    @Test func aWrongSecretHashSaysNothingOfTheToken() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["GenerateSecret": true]))
        try s.addUser("alice")
        let live = try #require(s.signIn()["RefreshToken"]?.stringValue)
        let revoked = try #require(s.signIn()["RefreshToken"]?.stringValue)
        s.h.ok("RevokeToken", ["ClientId": .string(s.client.id), "Token": .string(revoked),
                               "ClientSecret": .string(s.client.secret ?? "")])
        for token in [live, revoked, String(live.dropLast(4)) + "AAAA"] {
            s.refused(s.refresh(token, hashName: "mallory"), "NotAuthorizedException",
                      "Unable to verify secret hash for client \(s.client.id)")
        }
        s.refused(s.refresh(revoked, hashName: "alice"), "NotAuthorizedException", "Refresh Token has been revoked")
    }

    /// After AdminResetUserPassword the old password's sessions are over until a new password is set: the model lists
    /// PasswordResetRequiredException for InitiateAuth and for every access-token operation.
    @Test func aPasswordResetEndsTheSessionsItFinds() throws {
        let s = try SignIns.setUp()
        try s.addUser("alice", ["email": "alice@example.com", "email_verified": "true"])
        let result = s.signIn()
        let refresh = try #require(result["RefreshToken"]?.stringValue)
        let access = JSON.string(try #require(result["AccessToken"]?.stringValue))
        s.h.ok("AdminResetUserPassword", AdminUsers.ids(s.poolId, "alice"))
        let message = "Password reset required for the user"
        let before = s.h.snapshot()
        s.refused(s.refresh(refresh), "PasswordResetRequiredException", message)
        for (operation, input) in [
            ("GetUser", ["AccessToken": access]),
            ("UpdateUserAttributes", ["AccessToken": access, "UserAttributes": [["Name": "email", "Value": "m@x.com"]]]),
            ("DeleteUserAttributes", ["AccessToken": access, "UserAttributeNames": ["email"]]),
            ("GetUserAttributeVerificationCode", ["AccessToken": access, "AttributeName": "email"]),
            ("VerifyUserAttribute", ["AccessToken": access, "AttributeName": "email", "Code": "123456"]),
            ("ChangePassword", ["AccessToken": access, "PreviousPassword": .string(SignIns.password),
                                "ProposedPassword": "N3w-Passw0rd!"]),
            ("GlobalSignOut", ["AccessToken": access]),
            ("DeleteUser", ["AccessToken": access]),
        ] as [(String, JSON)] {
            s.refused(input, "PasswordResetRequiredException", message, operation: operation)
        }
        #expect(s.h.snapshot() == before)
    }
}
