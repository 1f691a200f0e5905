import Foundation
import Testing

@testable import Handlers

struct DeleteUserPoolTests {
    /// Stores a client record in `poolId` and its global index entry, as CreateUserPoolClient would.
    func addClient(_ h: Harness, _ poolId: String, _ clientId: String) throws {
        try h.store.withPool(poolId, .exclusive) { tx in
            try tx.saveClient(UserPoolClientType(userPoolId: poolId, clientName: "app", clientId: clientId))
        }
        try h.store.indexClient(clientId, poolId: poolId)
    }

    @Test func deletesThePoolAndItsClientIndexEntries() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "doomed")
        let other = CreateUserPoolTests.create(h, "kept")
        try addClient(h, id, "client1abc")
        try addClient(h, id, "client2abc")
        try addClient(h, other, "client3abc")
        try h.store.withPool(id, .exclusive) { tx in try tx.write("users", "alice", ["Username": "alice"]) }

        #expect(h.ok("DeleteUserPool", ["UserPoolId": .string(id)]) == [:])

        h.fails("DescribeUserPool", ["UserPoolId": .string(id)], "ResourceNotFoundException")
        #expect(try h.store.poolIds() == [other])
        #expect(try h.store.poolId(ofClient: "client1abc") == nil)
        #expect(try h.store.poolId(ofClient: "client2abc") == nil)
        #expect(try h.store.poolId(ofClient: "client3abc") == other)
        // Nothing of the pool is left on disk.
        #expect(!h.snapshot().keys.contains { $0.contains("/pools/\(id)") })
        #expect(CreateUserPoolTests.describe(h, other)["Name"] == "kept")
    }

    @Test func secondDeleteIsNotFound() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        _ = h.ok("DeleteUserPool", ["UserPoolId": .string(id)])
        let before = h.snapshot()
        #expect(h.fails("DeleteUserPool", ["UserPoolId": .string(id)], "ResourceNotFoundException")
            == "User pool \(id) does not exist.")
        #expect(h.snapshot() == before)
    }

    @Test func deletionProtectionHoldsThePool() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "protected", ["DeletionProtection": "ACTIVE"])
        try addClient(h, id, "clientkeep1")
        let before = h.snapshot()
        #expect(h.fails("DeleteUserPool", ["UserPoolId": .string(id)], "InvalidParameterException")
            == "The user pool cannot be deleted because deletion protection is activated. "
                + "Deletion protection must be inactivated first.")
        #expect(h.snapshot() == before)
        #expect(try h.store.poolId(ofClient: "clientkeep1") == id)

        // Turned off with UpdateUserPool, the pool can go.
        _ = h.ok("UpdateUserPool", ["UserPoolId": .string(id), "DeletionProtection": "INACTIVE"])
        _ = h.ok("DeleteUserPool", ["UserPoolId": .string(id)])
        #expect(try h.store.poolIds().isEmpty)
    }

    @Test func aDomainHoldsThePool() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        try h.store.withPool(id, .exclusive) { tx in
            var pool = try tx.pool()
            pool.domain = "my-login"
            try tx.savePool(pool)
        }
        let before = h.snapshot()
        #expect(h.fails("DeleteUserPool", ["UserPoolId": .string(id)], "InvalidParameterException")
            == "User pool cannot be deleted. It has a domain configured that should be deleted first.")
        #expect(h.snapshot() == before)
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        let (status, body) = h.query("DeleteUserPool", [("UserPoolId", id)])
        #expect(status == 200)
        #expect(body == [:])
        #expect(try h.store.poolIds().isEmpty)
    }

    @Test func unknownAndMalformedIds() throws {
        let h = try Harness()
        _ = CreateUserPoolTests.create(h)
        let before = h.snapshot()
        #expect(h.fails("DeleteUserPool", ["UserPoolId": "us-east-1_nothere12"], "ResourceNotFoundException")
            == "User pool us-east-1_nothere12 does not exist.")
        h.fails("DeleteUserPool", ["UserPoolId": "../../x_y"], "InvalidParameterException")
        h.fails("DeleteUserPool", [:], "InvalidParameterException")
        #expect(h.snapshot() == before)
    }
}
