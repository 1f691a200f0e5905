import Foundation
import Testing

@testable import Handlers

struct RecordCacheTests {
    /// A wall clock a minute ahead: every file written by the test is past the racy window.
    static let later: @Sendable () -> Int = { FileStamp.wallClockSeconds() + 60 }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func anUnchangedFileIsParsedOnce() throws {
        let dir = TempDirectory()
        let path = dir.path + "/record.json"
        try FileSystem.writeAtomically(path, Array("first".utf8))
        let cache = RecordCache<String>(wallClock: Self.later)
        for _ in 0..<20 {
            #expect(try cache.value(at: path, parse: Self.text) == "first")
        }
        #expect(cache.parses == 1)
    }

    @Test func aReplacedFileIsReadAgainEvenAtTheSameSize() throws {
        let dir = TempDirectory()
        let path = dir.path + "/record.json"
        try FileSystem.writeAtomically(path, Array("aaaa".utf8))
        let cache = RecordCache<String>(wallClock: Self.later)
        #expect(try cache.value(at: path, parse: Self.text) == "aaaa")
        try FileSystem.writeAtomically(path, Array("bbbb".utf8))
        #expect(try cache.value(at: path, parse: Self.text) == "bbbb")
        try FileSystem.writeAtomically(path, Array("cc".utf8))
        #expect(try cache.value(at: path, parse: Self.text) == "cc")
        #expect(cache.parses == 3)
    }

    @Test func aRemovedFileIsGone() throws {
        let dir = TempDirectory()
        let path = dir.path + "/record.json"
        try FileSystem.writeAtomically(path, Array("here".utf8))
        let cache = RecordCache<String>(wallClock: Self.later)
        #expect(try cache.value(at: path, parse: Self.text) == "here")
        try FileSystem.remove(path)
        #expect(try cache.value(at: path, parse: Self.text) == nil)
    }

    @Test func aFileChangedMomentsAgoIsNotTrusted() throws {
        let dir = TempDirectory()
        let path = dir.path + "/record.json"
        try FileSystem.writeAtomically(path, Array("fresh".utf8))
        let cache = RecordCache<String>()  // the real clock: the file changed within the racy window
        #expect(try cache.value(at: path, parse: Self.text) == "fresh")
        #expect(try cache.value(at: path, parse: Self.text) == "fresh")
        #expect(cache.parses == 2)
        #expect(cache.count == 0)
    }

    @Test func aParseFailureIsNotCached() throws {
        struct Broken: Error {}
        let dir = TempDirectory()
        let path = dir.path + "/record.json"
        try FileSystem.writeAtomically(path, Array("bad".utf8))
        let cache = RecordCache<String>(wallClock: Self.later)
        #expect(throws: Broken.self) { try cache.value(at: path) { _ in throw Broken() } }
        #expect(try cache.value(at: path, parse: Self.text) == "bad")
    }

    @Test func boundedToItsCapacity() throws {
        let dir = TempDirectory()
        let cache = RecordCache<String>(capacity: 2, wallClock: Self.later)
        for name in ["a", "b", "c"] {
            try FileSystem.writeAtomically(dir.path + "/" + name, Array(name.utf8))
            #expect(try cache.value(at: dir.path + "/" + name, parse: Self.text) == name)
        }
        // The newest stays; one of the first two was dropped to make room for it.
        #expect(try cache.value(at: dir.path + "/c", parse: Self.text) == "c")
        #expect(cache.parses == 3)
        for name in ["a", "b"] {
            #expect(try cache.value(at: dir.path + "/" + name, parse: Self.text) == name)
        }
        #expect(cache.parses >= 4)
    }

    @Test func boundedByTheBytesOfItsFiles() throws {
        let dir = TempDirectory()
        let cache = RecordCache<String>(capacity: 100, maxBytes: 10, wallClock: Self.later)
        for name in ["aaaa", "bbbb", "cccc"] {
            try FileSystem.writeAtomically(dir.path + "/" + name, Array(name.utf8))
            #expect(try cache.value(at: dir.path + "/" + name, parse: Self.text) == name)
        }
        // 12 bytes of files do not fit in 10: one of the first two went for the third.
        #expect(cache.count == 2)
        #expect(try cache.value(at: dir.path + "/cccc", parse: Self.text) == "cccc")
        #expect(cache.parses == 3)
        // A file larger than the whole budget is read each time and never kept.
        try FileSystem.writeAtomically(dir.path + "/big", Array(repeating: UInt8(ascii: "x"), count: 11))
        for _ in 0..<2 { #expect(try cache.value(at: dir.path + "/big", parse: Self.text).map(\.count) == 11) }
        #expect(cache.parses == 5)
        #expect(cache.count == 2)
    }

    // MARK: Through the operations: changes are seen at once, reads parse nothing

    @Test func poolSettingsAreReusedAndChangesSeen() throws {
        let h = try Harness(fileClock: Self.later)
        let id = CreateUserPoolTests.create(h, "cached", ["Policies": ["PasswordPolicy": ["MinimumLength": 12]]])
        _ = CreateUserPoolTests.describe(h, id)
        let parsed = h.store.pools.parses
        for _ in 0..<10 { _ = CreateUserPoolTests.describe(h, id) }
        #expect(h.store.pools.parses == parsed)

        #expect(h.ok("UpdateUserPool", ["UserPoolId": .string(id), "Policies": ["PasswordPolicy": ["MinimumLength": 9]]]) == [:])
        #expect(CreateUserPoolTests.describe(h, id)["Policies"]?["PasswordPolicy"]?["MinimumLength"] == 9)
        #expect(h.ok("UpdateUserPool", ["UserPoolId": .string(id)]) == [:])
        #expect(CreateUserPoolTests.describe(h, id)["Policies"]?["PasswordPolicy"]?["MinimumLength"] == 8)
    }

    @Test func clientsAreReusedAndChangesAndDeletionSeen() throws {
        let f = try TokenFixture(harness: try Harness(fileClock: Self.later))
        try f.addUser()
        let token = try f.accessToken()
        _ = f.h.ok("GetUser", ["AccessToken": .string(token)])
        let parsed = f.h.store.clients.parses
        for _ in 0..<10 { _ = f.h.ok("GetUser", ["AccessToken": .string(token)]) }
        #expect(f.h.store.clients.parses == parsed)

        // The client may read only `email` now: the next GetUser shows just that (and `sub`).
        _ = f.h.ok("UpdateUserPoolClient", [
            "UserPoolId": .string(f.poolId), "ClientId": .string(f.clientId), "ReadAttributes": ["email"],
        ])
        let narrowed = f.h.ok("GetUser", ["AccessToken": .string(token)])
        #expect(narrowed["UserAttributes"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } == ["sub", "email"])

        _ = f.h.ok("DeleteUserPoolClient", ["UserPoolId": .string(f.poolId), "ClientId": .string(f.clientId)])
        f.getUserRefused(token, "Invalid Access Token")
        Clients.refused(
            f.h, "DescribeUserPoolClient", ["UserPoolId": .string(f.poolId), "ClientId": .string(f.clientId)],
            "ResourceNotFoundException")
    }

    @Test func userRecordsAreReusedAndEveryChangeSeen() throws {
        let f = try TokenFixture(harness: try Harness(fileClock: Self.later))
        try f.addUser()
        let token = try f.accessToken()
        _ = f.h.ok("GetUser", ["AccessToken": .string(token)])
        let parsed = f.h.store.users.parses
        for _ in 0..<10 { _ = f.h.ok("GetUser", ["AccessToken": .string(token)]) }
        #expect(f.h.store.users.parses == parsed)

        // Each change replaces the file: the next read sees it, through GetUser and AdminGetUser alike.
        for name in ["Alice One", "Alice Two"] {
            #expect(f.h.ok("UpdateUserAttributes", [
                "AccessToken": .string(token), "UserAttributes": [["Name": "name", "Value": .string(name)]],
            ]) == [:])
            let shown = f.h.ok("GetUser", ["AccessToken": .string(token)])["UserAttributes"]?.arrayValue
            #expect(shown?.first { $0["Name"] == "name" }?["Value"] == .string(name))
            let admin = f.h.ok("AdminGetUser", AdminUsers.ids(f.poolId, "alice"))["UserAttributes"]?.arrayValue
            #expect(admin?.first { $0["Name"] == "name" }?["Value"] == .string(name))
        }
        f.h.ok("AdminDisableUser", AdminUsers.ids(f.poolId, "alice"))
        f.getUserRefused(token, "User is disabled.")
        f.h.ok("AdminDeleteUser", AdminUsers.ids(f.poolId, "alice"))
        f.getUserRefused(token, "User does not exist.")
    }

    @Test func aTransactionSeesThePoolItSavedItself() throws {
        let h = try Harness(fileClock: Self.later)
        let id = CreateUserPoolTests.create(h, "before")
        _ = CreateUserPoolTests.describe(h, id)  // parsed and kept under the stamp the next transaction takes
        try h.store.withPool(id, .exclusive) { tx in
            var pool = try tx.pool()
            #expect(pool.name == "before")
            pool.name = "after"
            try tx.savePool(pool)
            #expect(try tx.pool().name == "after")
        }
        #expect(CreateUserPoolTests.describe(h, id)["Name"] == "after")
        // A pool deleted before the lock was taken is not found, as before.
        #expect(h.ok("DeleteUserPool", ["UserPoolId": .string(id)]) == [:])
        #expect(throws: AWSError.self) { try h.store.withPool(id, .shared) { tx in try tx.pool() } }
    }
}
