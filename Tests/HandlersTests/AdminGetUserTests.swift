import Foundation
import Testing

@testable import Handlers

/// Helpers the admin user operations' tests share.
enum AdminUsers {
    static let password = "Passw0rd!"

    /// A pool made through CreateUserPool; `extra` adds CreateUserPool members.
    static func pool(_ h: Harness, _ extra: [String: JSON] = [:], sourceLocation: SourceLocation = #_sourceLocation)
        -> String
    {
        CreateUserPoolTests.create(h, "users", extra, sourceLocation: sourceLocation)
    }

    /// A user written straight into the store (with its alias entries), password `password` unless nil.
    @discardableResult
    static func user(
        _ h: Harness, _ poolId: String, _ username: String, _ attributes: [String: String] = [:],
        status: UserStatusType = .confirmed, password: String? = AdminUsers.password,
        _ adjust: (inout UserRecord) throws -> Void = { _ in }
    ) throws -> UserRecord {
        var user = UserRecord(
            username: username, sub: h.services.random.uuid(), attributes: attributes, status: status,
            now: h.clock.now())
        if let password { user.passwordHash = try h.services.passwords.hash(password, random: h.services.random) }
        try adjust(&user)
        try h.store.withPool(poolId, .exclusive) { tx in try tx.saveUser(user, previous: nil, in: tx.pool()) }
        return user
    }

    /// The user `name` (username, alias or sub) names, as stored, or nil.
    static func stored(_ h: Harness, _ poolId: String, _ name: String) throws -> UserRecord? {
        try h.store.withPool(poolId, .shared) { tx in try tx.findUser(name, in: tx.pool()) }
    }

    /// The user's username record exactly as stored, by username only (no alias lookups), or nil.
    static func record(_ h: Harness, _ poolId: String, _ username: String) throws -> UserRecord? {
        try h.store.withPool(poolId, .shared) { tx in try tx.user(named: username, in: tx.pool()) }
    }

    /// `{"UserPoolId", "Username"}` plus `extra`.
    static func ids(_ poolId: String, _ username: String, _ extra: [String: JSON] = [:]) -> JSON {
        var o = extra
        o["UserPoolId"] = .string(poolId)
        o["Username"] = .string(username)
        return .object(o)
    }

    /// The names of the files in the pool's alias index.
    static func aliasFiles(_ h: Harness, _ poolId: String) -> [String] {
        let dir = h.store.poolDirectory(poolId) + "/aliases"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }
            .sorted()
    }

    /// The pending code of `purpose` in a stored user, decoded.
    static func code(_ user: UserRecord?, _ purpose: CodePurpose) throws -> VerificationCode? {
        guard let json = user?.codes[purpose.key] else { return nil }
        return try VerificationCode(json: json)
    }

    /// Every operation taking UserPoolId + Username answers an unknown pool and user alike, changing nothing.
    static func checkUnknownPoolAndUser(_ operation: String, _ extra: [String: JSON] = [:],
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let h = try Harness()
        let poolId = pool(h)
        try user(h, poolId, "alice", ["email": "alice@example.com"])
        Clients.refused(h, operation, ids(poolId, "bob", extra), "UserNotFoundException", "User does not exist.",
                        sourceLocation: sourceLocation)
        Clients.refused(h, operation, ids("us-east-1_nothere00", "alice", extra), "ResourceNotFoundException",
                        "User pool us-east-1_nothere00 does not exist.", sourceLocation: sourceLocation)
    }
}

struct AdminGetUserTests {
    @Test func returnsTheUser() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        let user = try AdminUsers.user(
            h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true", "name": "Alice"])

        let out = h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))

        #expect(
            out == [
                "Username": "alice",
                "UserAttributes": [
                    ["Name": "sub", "Value": .string(user.sub)],
                    ["Name": "email", "Value": "alice@example.com"],
                    ["Name": "email_verified", "Value": "true"],
                    ["Name": "name", "Value": "Alice"],
                ],
                "UserCreateDate": 1_790_000_000, "UserLastModifiedDate": 1_790_000_000,
                "Enabled": true, "UserStatus": "CONFIRMED",
            ])
    }

    @Test func statusEnabledAndDatesAsStored() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "bob", status: .unconfirmed) { user in
            user.enabled = false
            user.modified = user.created.addingTimeInterval(90)
        }
        let out = h.ok("AdminGetUser", AdminUsers.ids(poolId, "bob"))
        #expect(out["UserStatus"] == "UNCONFIRMED")
        #expect(out["Enabled"] == false)
        #expect(out["UserLastModifiedDate"] == 1_790_000_090)
        #expect(out["MFAOptions"] == nil && out["PreferredMfaSetting"] == nil && out["UserMFASettingList"] == nil)
    }

    @Test func foundByAliasSubAndFoldedUsername() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email", "preferred_username"]])
        let user = try AdminUsers.user(
            h, poolId, "Alice", ["email": "alice@example.com", "email_verified": "true", "preferred_username": "ally"])

        for name in ["Alice", "alice", "ALICE", "Alice@Example.com", "ally", user.sub] {
            #expect(h.ok("AdminGetUser", AdminUsers.ids(poolId, name))["Username"] == "Alice", "\(name)")
        }
    }

    @Test func anUnverifiedEmailIsNoAlias() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email"]])
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "false"])
        Clients.refused(h, "AdminGetUser", AdminUsers.ids(poolId, "alice@example.com"), "UserNotFoundException",
                        "User does not exist.")
    }

    @Test func emailAsUsername() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["UsernameAttributes": ["email"]])
        let uuid = h.services.random.uuid()
        try AdminUsers.user(h, poolId, uuid, ["email": "carol@example.com"])
        #expect(h.ok("AdminGetUser", AdminUsers.ids(poolId, "carol@example.com"))["Username"] == .string(uuid))
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminGetUser")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        let (status, body) = h.query("AdminGetUser", [("UserPoolId", poolId), ("Username", "alice")])
        #expect(status == 200)
        #expect(body["Username"] == "alice")
        #expect(body["UserStatus"] == "CONFIRMED")
        Clients.queryRefused(h, "AdminGetUser", [("UserPoolId", poolId), ("Username", "nobody")],
                             "UserNotFoundException", "User does not exist.")
    }

    @Test func usernameIsRequired() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        Clients.refused(h, "AdminGetUser", ["UserPoolId": .string(poolId)], "InvalidParameterException")
    }
}
