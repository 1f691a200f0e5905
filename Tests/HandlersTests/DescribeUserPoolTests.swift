import Foundation
import Testing

@testable import Handlers

struct DescribeUserPoolTests {
    @Test func returnsWhatCreateReturned() throws {
        let h = try Harness()
        let created = h.ok("CreateUserPool", [
            "PoolName": "p", "MfaConfiguration": "OPTIONAL", "AutoVerifiedAttributes": ["phone_number"],
            "SmsConfiguration": ["SnsCallerArn": "arn:aws:iam::123456789012:role/sns"],
        ])["UserPool"]
        let id = try #require(created?["Id"]?.stringValue)
        let out = h.ok("DescribeUserPool", ["UserPoolId": .string(id)])
        #expect(out["UserPool"] == created)
        #expect(out.objectValue?.keys.sorted() == ["UserPool"])
    }

    @Test func countsTheUsersOnEveryCall() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        #expect(CreateUserPoolTests.describe(h, id)["EstimatedNumberOfUsers"] == 0)
        try h.store.withPool(id, .exclusive) { tx in
            try tx.write("users", "alice", ["Username": "alice"])
            try tx.write("users", "bob", ["Username": "bob"])
        }
        #expect(CreateUserPoolTests.describe(h, id)["EstimatedNumberOfUsers"] == 2)
        // The count is computed, never written into pool.json.
        #expect(try CreateUserPoolTests.stored(h, id)?["EstimatedNumberOfUsers"] == nil)
    }

    /// The users folder is counted again only when it changed (a folder's stamp changes with every entry added,
    /// removed or replaced), so describing a quiet pool costs a `stat` whatever its size. Temp files and other
    /// names are not users.
    @Test func countsAgainOnlyWhenTheUsersFolderChanged() throws {
        let h = try Harness(fileClock: RecordCacheTests.later)
        let id = CreateUserPoolTests.create(h)
        let count = { CreateUserPoolTests.describe(h, id)["EstimatedNumberOfUsers"] }
        #expect(count() == 0 && h.store.userCounts.parses == 0)
        try ListUsersTests.user(h, id, "alice")
        try ListUsersTests.user(h, id, "bob")
        let users = h.store.poolDirectory(id) + "/users/"
        for name in [".tmp.999999.x.json", ".tmp.1.y", "notes.txt"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: users + name))
        }
        #expect(count() == 2 && count() == 2)
        #expect(h.store.userCounts.parses == 1)

        try ListUsersTests.user(h, id, "carol")
        #expect(count() == 3)
        try ListUsersTests.delete(h, id, "alice")
        #expect(count() == 2)
        // Replacing a record changes the folder too: counted again, the same number.
        try h.store.withPool(id, .exclusive) { tx in try tx.write("users", "bob", ["Username": "bob", "x": 1]) }
        #expect(count() == 2 && h.store.userCounts.parses == 4)
        #expect(count() == 2 && h.store.userCounts.parses == 4)
    }

    @Test func describesOnlyTheAskedPool() throws {
        let h = try Harness()
        let a = CreateUserPoolTests.create(h, "a")
        let b = CreateUserPoolTests.create(h, "b")
        #expect(CreateUserPoolTests.describe(h, a)["Name"] == "a")
        #expect(CreateUserPoolTests.describe(h, b)["Name"] == "b")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "q")
        let (status, body) = h.query("DescribeUserPool", [("UserPoolId", id)])
        #expect(status == 200)
        #expect(body["UserPool"]?["Id"] == .string(id))
        #expect(body["UserPool"]?["Name"] == "q")
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        let before = h.snapshot()
        let message = h.fails("DescribeUserPool", ["UserPoolId": "us-east-1_nothere12"], "ResourceNotFoundException")
        #expect(message == "User pool us-east-1_nothere12 does not exist.")
        #expect(h.snapshot() == before)
    }

    @Test func deletedPoolIsNotFound() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        _ = h.ok("DeleteUserPool", ["UserPoolId": .string(id)])
        #expect(h.fails("DescribeUserPool", ["UserPoolId": .string(id)], "ResourceNotFoundException")
            == "User pool \(id) does not exist.")
    }

    @Test func malformedIdsNeverReachTheStore() throws {
        let h = try Harness()
        _ = CreateUserPoolTests.create(h)
        let before = h.snapshot()
        for bad in ["../pools", "us-east-1_../x", "", "no-underscore"] {
            h.fails("DescribeUserPool", ["UserPoolId": .string(bad)], "InvalidParameterException")
        }
        h.fails("DescribeUserPool", [:], "InvalidParameterException")
        #expect(h.snapshot() == before)
    }
}
