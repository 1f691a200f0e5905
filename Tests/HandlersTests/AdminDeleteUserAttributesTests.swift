import Foundation
import Testing

@testable import Handlers

struct AdminDeleteUserAttributesTests {
    func delete(_ poolId: String, _ username: String, _ names: [String]) -> JSON {
        AdminUsers.ids(poolId, username, ["UserAttributeNames": .array(names.map { .string($0) })])
    }

    @Test func deletesAttributes() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["Schema": [["Name": "team", "AttributeDataType": "String"]]])
        try AdminUsers.user(h, poolId, "alice", ["name": "Alice", "custom:team": "blue", "locale": "en"])
        h.clock.advance(60)

        #expect(h.ok("AdminDeleteUserAttributes", delete(poolId, "alice", ["name", "custom:team"])) == [:])

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes.keys.sorted() == ["locale", "sub"])
        #expect(user.modified == h.clock.now())
        let listed = h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))["UserAttributes"]?.arrayValue ?? []
        #expect(listed.count == 2)
    }

    @Test func anAttributeTheUserLacksIsNoError() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        let before = h.snapshot()
        h.ok("AdminDeleteUserAttributes", delete(poolId, "alice", ["nickname"]))
        #expect(h.snapshot() == before)
    }

    @Test func deletingTheEmailTakesItsFlagCodeAndAlias() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(
            h,
            ["AliasAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
             "UserAttributeUpdateSettings": ["AttributesRequireVerificationBeforeUpdate": ["email"]]])
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        h.ok("AdminUpdateUserAttributes",
             AdminUsers.ids(poolId, "alice", ["UserAttributes": [["Name": "email", "Value": "new@example.com"]]]))
        #expect(try AdminUsers.record(h, poolId, "alice")?.pendingAttributes.isEmpty == false)

        h.ok("AdminDeleteUserAttributes", delete(poolId, "alice", ["email"]))

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes.keys.sorted() == ["sub"])
        #expect(user.pendingAttributes.isEmpty && user.codes.isEmpty)
        #expect(try AdminUsers.stored(h, poolId, "alice@example.com") == nil)
        #expect(AdminUsers.aliasFiles(h, poolId).count == 1)
    }

    @Test(arguments: [
        ("sub", "user.sub: Attribute cannot be updated."),
        ("custom:badge", "user.custom:badge: Attribute cannot be updated."),
        ("name", "Invalid user attributes: name: The attribute is required\n"),
        ("custom:nope", "Invalid user attributes: custom:nope: Attribute does not exist in the schema.\n"),
    ])
    func refused(name: String, message: String) throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(
            h,
            ["Schema": [["Name": "name", "Required": true],
                        ["Name": "badge", "AttributeDataType": "String", "Mutable": false]]])
        try AdminUsers.user(h, poolId, "alice", ["name": "Alice", "custom:badge": "b1", "locale": "en"])
        Clients.refused(h, "AdminDeleteUserAttributes", delete(poolId, "alice", ["locale", name]),
                        "InvalidParameterException", message)
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminDeleteUserAttributes", ["UserAttributeNames": ["name"]])
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", ["name": "Alice", "locale": "en"])
        let (status, _) = h.query(
            "AdminDeleteUserAttributes",
            [("UserPoolId", poolId), ("Username", "alice"), ("UserAttributeNames.member.1", "name")])
        #expect(status == 200)
        #expect(try AdminUsers.record(h, poolId, "alice")?.attributes["name"] == nil)
        Clients.queryRefused(
            h, "AdminDeleteUserAttributes",
            [("UserPoolId", poolId), ("Username", "alice"), ("UserAttributeNames", #"["sub"]"#)],
            "InvalidParameterException", "user.sub: Attribute cannot be updated.")
    }
}
