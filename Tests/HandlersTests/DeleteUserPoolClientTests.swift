import Foundation
import Testing

@testable import Handlers

struct DeleteUserPoolClientTests {
    func ids(_ poolId: String, _ clientId: String) -> JSON {
        ["UserPoolId": .string(poolId), "ClientId": .string(clientId)]
    }

    @Test func removesTheRecordAndTheIndexEntry() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId, ["GenerateSecret": true])["ClientId"]?.stringValue)
        let keep = try #require(Clients.create(h, poolId, name: "keep")["ClientId"]?.stringValue)

        #expect(h.ok("DeleteUserPoolClient", ids(poolId, id)) == [:])

        #expect(try Clients.stored(h, poolId, id) == nil)
        #expect(try h.store.poolId(ofClient: id) == nil)
        #expect(!FileManager.default.fileExists(atPath: h.dir.path + "/clients/" + id))
        h.fails("DescribeUserPoolClient", ids(poolId, id), "ResourceNotFoundException")
        let listed = h.ok("ListUserPoolClients", ["UserPoolId": .string(poolId)])["UserPoolClients"]
        #expect(listed == [["ClientId": .string(keep), "UserPoolId": .string(poolId), "ClientName": "keep"]])
        // The other client is untouched.
        #expect(try h.store.poolId(ofClient: keep) == poolId)
        #expect(Clients.describe(h, poolId, keep)["ClientName"] == "keep")
    }

    @Test func aSecondDeleteIsNotFound() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        _ = h.ok("DeleteUserPoolClient", ids(poolId, id))
        Clients.refused(h, "DeleteUserPoolClient", ids(poolId, id), "ResourceNotFoundException",
                        "User pool client \(id) does not exist.")
    }

    @Test func unknownClient() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "DeleteUserPoolClient", ids(poolId, "nosuchclient"), "ResourceNotFoundException",
                        "User pool client nosuchclient does not exist.")
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        Clients.refused(h, "DeleteUserPoolClient", ids("us-east-1_nothere00", "abc"), "ResourceNotFoundException",
                        "User pool us-east-1_nothere00 does not exist.")
    }

    @Test func clientOfAnotherPool() throws {
        let h = try Harness()
        let first = Clients.pool(h)
        let second = Clients.pool(h)
        let id = try #require(Clients.create(h, first)["ClientId"]?.stringValue)
        Clients.refused(h, "DeleteUserPoolClient", ids(second, id), "ResourceNotFoundException",
                        "User pool client \(id) does not exist.")
        #expect(try h.store.poolId(ofClient: id) == first)
        #expect(try Clients.stored(h, first, id) != nil)
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        let (status, body) = h.query("DeleteUserPoolClient", [("ClientId", id), ("UserPoolId", poolId)])
        #expect(status == 200)
        #expect(body == [:])
        #expect(try Clients.stored(h, poolId, id) == nil)
        #expect(try h.store.poolId(ofClient: id) == nil)
        // Errors are the JSON form's, and change nothing.
        Clients.queryRefused(h, "DeleteUserPoolClient", [("ClientId", id), ("UserPoolId", poolId)],
                             "ResourceNotFoundException", "User pool client \(id) does not exist.")
        Clients.queryRefused(h, "DeleteUserPoolClient", [("UserPoolId", poolId)], "InvalidParameterException",
                             "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
        Clients.queryRefused(h, "DeleteUserPoolClient", [("ClientId", id), ("UserPoolId", "us-east-1_nothere00")],
                             "ResourceNotFoundException", "User pool us-east-1_nothere00 does not exist.")
    }

    @Test func modelConstraints() throws {
        let h = try Harness()
        Clients.refused(h, "DeleteUserPoolClient", ["ClientId": "abc"], "InvalidParameterException",
                        "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")
    }
}
