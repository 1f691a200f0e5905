import Foundation
import Testing

@testable import Handlers

struct DescribeUserPoolClientTests {
    @Test func returnsTheWholeClientWithItsSecret() throws {
        let h = try Harness()
        let poolId = Clients.teamPool(h)
        let created = Clients.create(h, poolId, Clients.custom.merging(["GenerateSecret": true]) { $1 })
        let id = try #require(created["ClientId"]?.stringValue)
        let described = Clients.describe(h, poolId, id)
        #expect(described == created)
        #expect(described["ClientSecret"]?.stringValue?.count == 52)
    }

    @Test func defaultsAsCreated() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        #expect(Clients.describe(h, poolId, id) == Clients.defaults(poolId, id))
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let created = Clients.create(h, poolId, ["GenerateSecret": true])
        let id = try #require(created["ClientId"]?.stringValue)
        let (status, body) = h.query("DescribeUserPoolClient", [("UserPoolId", poolId), ("ClientId", id)])
        #expect(status == 200)
        #expect(body["UserPoolClient"] == created)
    }

    @Test func unknownClient() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "DescribeUserPoolClient", ["UserPoolId": .string(poolId), "ClientId": "nosuchclient"],
                        "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        Clients.refused(h, "DescribeUserPoolClient", ["UserPoolId": "us-east-1_nothere00", "ClientId": "abc"],
                        "ResourceNotFoundException", "User pool us-east-1_nothere00 does not exist.")
    }

    @Test func clientOfAnotherPool() throws {
        let h = try Harness()
        let first = Clients.pool(h)
        let second = Clients.pool(h)
        let id = try #require(Clients.create(h, first)["ClientId"]?.stringValue)
        Clients.refused(h, "DescribeUserPoolClient", ["UserPoolId": .string(second), "ClientId": .string(id)],
                        "ResourceNotFoundException", "User pool client \(id) does not exist.")
    }

    @Test func modelConstraints() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "DescribeUserPoolClient", ["UserPoolId": .string(poolId)], "InvalidParameterException",
                        "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
        Clients.queryRefused(h, "DescribeUserPoolClient", [("UserPoolId", poolId), ("ClientId", "no/slash")],
                             "InvalidParameterException")
    }
}
