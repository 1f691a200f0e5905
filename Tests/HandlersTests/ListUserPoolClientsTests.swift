import Foundation
import Testing

@testable import Handlers

struct ListUserPoolClientsTests {
    /// Lists one page; returns the descriptions and the next token.
    func page(_ h: Harness, _ poolId: String, max: Int? = nil, after token: String? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) -> (clients: [JSON], next: String?) {
        var input: [String: JSON] = ["UserPoolId": .string(poolId)]
        if let max { input["MaxResults"] = .int(max) }
        if let token { input["NextToken"] = .string(token) }
        let out = h.ok("ListUserPoolClients", .object(input), sourceLocation: sourceLocation)
        return (out["UserPoolClients"]?.arrayValue ?? [], out["NextToken"]?.stringValue)
    }

    @Test func emptyPool() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let out = h.ok("ListUserPoolClients", ["UserPoolId": .string(poolId)])
        #expect(out == ["UserPoolClients": []])
    }

    @Test func descriptionsSortedById() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let other = Clients.pool(h)
        var made: [(String, String)] = []
        for name in ["one", "two", "three"] {
            let client = Clients.create(h, poolId, ["GenerateSecret": true], name: name)
            made.append((client["ClientId"]?.stringValue ?? "", name))
        }
        _ = Clients.create(h, other, name: "elsewhere")
        made.sort { $0.0 < $1.0 }

        let (clients, next) = page(h, poolId)
        #expect(next == nil)
        #expect(clients == made.map { id, name in
            ["ClientId": .string(id), "UserPoolId": .string(poolId), "ClientName": .string(name)]
        })
    }

    @Test func pagesThroughEveryClientOnce() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        var ids: [String] = []
        for i in 0..<5 { ids.append(Clients.create(h, poolId, name: "c\(i)")["ClientId"]?.stringValue ?? "") }
        ids.sort()

        var seen: [String] = []
        var sizes: [Int] = []
        var token: String?
        repeat {
            let (clients, next) = page(h, poolId, max: 2, after: token)
            sizes.append(clients.count)
            seen += clients.compactMap { $0["ClientId"]?.stringValue }
            token = next
        } while token != nil
        #expect(sizes == [2, 2, 1])
        #expect(seen == ids)

        // A page that ends exactly at the last client has no NextToken.
        let (all, next) = page(h, poolId, max: 5)
        #expect(all.count == 5 && next == nil)
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = Clients.create(h, poolId, name: "q")["ClientId"] ?? .null
        let (status, body) = h.query("ListUserPoolClients", [("UserPoolId", poolId), ("MaxResults", "10")])
        #expect(status == 200)
        #expect(body == ["UserPoolClients": [["ClientId": id, "UserPoolId": .string(poolId), "ClientName": "q"]]])
    }

    /// Every client here is REGULAR (no dynamic client registration): the filter keeps them all or, for DCR, none;
    /// an unknown pool or type is still refused.
    @Test func clientTypeFilter() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        for name in ["one", "two", "three"] { _ = Clients.create(h, poolId, name: name) }
        let all = page(h, poolId).clients
        #expect(all.count == 3)
        let regular = h.ok(
            "ListUserPoolClients", ["UserPoolId": .string(poolId), "ClientType": "REGULAR", "MaxResults": 2])
        #expect(regular["UserPoolClients"]?.arrayValue == Array(all.prefix(2)) && regular["NextToken"] != nil)
        let dcr = h.ok("ListUserPoolClients", ["UserPoolId": .string(poolId), "ClientType": "DCR"])
        #expect(dcr == ["UserPoolClients": []])
        _ = h.fails("ListUserPoolClients", ["UserPoolId": "us-east-1_nothere00", "ClientType": "DCR"],
                    "ResourceNotFoundException")
        #expect(h.fails("ListUserPoolClients", ["UserPoolId": .string(poolId), "ClientType": "OTHER"],
                        "InvalidParameterException").hasSuffix("Member must satisfy enum value set: [REGULAR, DCR]"))
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        Clients.refused(h, "ListUserPoolClients", ["UserPoolId": "us-east-1_nothere00"],
                        "ResourceNotFoundException", "User pool us-east-1_nothere00 does not exist.")
    }

    @Test func tokenOfAnotherPoolOrTampered() throws {
        let h = try Harness()
        let first = Clients.pool(h)
        let second = Clients.pool(h)
        for i in 0..<3 {
            _ = Clients.create(h, first, name: "a\(i)")
            _ = Clients.create(h, second, name: "b\(i)")
        }
        let token = try #require(page(h, first, max: 1).next)
        Clients.refused(h, "ListUserPoolClients",
                        ["UserPoolId": .string(second), "MaxResults": 1, "NextToken": .string(token)],
                        "InvalidParameterException", "Invalid pagination token.")
        Clients.refused(h, "ListUserPoolClients",
                        ["UserPoolId": .string(first), "NextToken": .string("x" + token)],
                        "InvalidParameterException", "Invalid pagination token.")
    }

    @Test func maxResultsOutOfRange() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "ListUserPoolClients", ["UserPoolId": .string(poolId), "MaxResults": 0],
                        "InvalidParameterException",
                        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
                            + "Member must have value greater than or equal to 1")
        Clients.queryRefused(h, "ListUserPoolClients", [("UserPoolId", poolId), ("MaxResults", "61")],
                             "InvalidParameterException",
                             "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: "
                                + "Member must have value less than or equal to 60")
    }
}
