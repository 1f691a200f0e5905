import Foundation
import Testing

@testable import Handlers

struct ListUserPoolsTests {
    /// Every page from the first, following NextToken.
    func pages(_ h: Harness, max: Int) -> [[JSON]] {
        var out: [[JSON]] = []
        var token: JSON?
        repeat {
            var input: [String: JSON] = ["MaxResults": .int(max)]
            input["NextToken"] = token
            let page = h.ok("ListUserPools", .object(input))
            out.append(page["UserPools"]?.arrayValue ?? [])
            token = page["NextToken"]
        } while token != nil && out.count < 100
        return out
    }

    func ids(_ pools: [JSON]) -> [String] { pools.compactMap { $0["Id"]?.stringValue } }

    @Test func emptyStore() throws {
        let h = try Harness()
        #expect(h.ok("ListUserPools", ["MaxResults": 10]) == ["UserPools": []])
    }

    @Test func describesEachPoolBriefly() throws {
        let h = try Harness()
        let lambda: JSON = ["PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:f"]
        let id = CreateUserPoolTests.create(h, "brief", ["LambdaConfig": lambda])
        let out = h.ok("ListUserPools", ["MaxResults": 60])
        #expect(out == [
            "UserPools": [[
                "Id": .string(id), "Name": "brief",
                "LambdaConfig": lambda,
                "CreationDate": CreateUserPoolTests.createdAt, "LastModifiedDate": CreateUserPoolTests.createdAt,
            ]],
        ])
    }

    @Test func pagesThroughEveryPoolSortedById() throws {
        let h = try Harness()
        let created = (1...5).map { CreateUserPoolTests.create(h, "p\($0)") }
        let pages = pages(h, max: 2)
        #expect(pages.map(\.count) == [2, 2, 1])
        #expect(pages.flatMap(ids) == created.sorted())
        // Everything on one page when it fits; no NextToken then.
        let all = h.ok("ListUserPools", ["MaxResults": 5])
        #expect(ids(all["UserPools"]?.arrayValue ?? []) == created.sorted())
        #expect(all["NextToken"] == nil)
    }

    @Test func pagesStayValidWhilePoolsComeAndGo() throws {
        let h = try Harness()
        let created = (1...4).map { CreateUserPoolTests.create(h, "p\($0)") }.sorted()
        let first = h.ok("ListUserPools", ["MaxResults": 2])
        #expect(ids(first["UserPools"]?.arrayValue ?? []) == Array(created.prefix(2)))
        let token = try #require(first["NextToken"])

        // The next pool goes, another arrives: the page after the token shows the pools after it, as they are now.
        _ = h.ok("DeleteUserPool", ["UserPoolId": .string(created[2])])
        let added = CreateUserPoolTests.create(h, "late")
        let second = h.ok("ListUserPools", ["MaxResults": 60, "NextToken": token])
        let expected = ([created[3], added]).filter { $0 > created[1] }.sorted()
        #expect(ids(second["UserPools"]?.arrayValue ?? []) == expected)
        #expect(second["NextToken"] == nil)

        // The same token again, after its own pool was deleted, still works.
        _ = h.ok("DeleteUserPool", ["UserPoolId": .string(created[1])])
        let again = h.ok("ListUserPools", ["MaxResults": 60, "NextToken": token])
        #expect(ids(again["UserPools"]?.arrayValue ?? []) == expected)
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "q")
        let (status, body) = h.query("ListUserPools", [("MaxResults", "10")])
        #expect(status == 200)
        #expect(ids(body["UserPools"]?.arrayValue ?? []) == [id])
    }

    @Test func forgedOrForeignTokens() throws {
        let h = try Harness()
        _ = (1...3).map { CreateUserPoolTests.create(h, "p\($0)") }
        let before = h.snapshot()
        let foreign = PageToken.make(after: "us-east-1_a", scope: "ListUsers", secret: h.store.secret)
        let otherSecret = PageToken.make(after: "us-east-1_a", scope: "ListUserPools", secret: [UInt8](repeating: 1, count: 32))
        for token in ["garbage", foreign, otherSecret, "eA.eA"] {
            let message = h.fails(
                "ListUserPools", ["MaxResults": 2, "NextToken": .string(token)], "InvalidParameterException")
            #expect(message == "Invalid pagination token.")
        }
        #expect(h.snapshot() == before)
    }

    @Test func maxResultsIsRequiredAndBounded() throws {
        let h = try Harness()
        let before = h.snapshot()
        let prefix = "1 validation error detected: Value"
        #expect(h.fails("ListUserPools", [:], "InvalidParameterException")
            == "\(prefix) null at 'maxResults' failed to satisfy constraint: Member must not be null")
        #expect(h.fails("ListUserPools", ["MaxResults": 0], "InvalidParameterException")
            == "\(prefix) '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1")
        #expect(h.fails("ListUserPools", ["MaxResults": 61], "InvalidParameterException")
            == "\(prefix) '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60")
        #expect(h.snapshot() == before)
    }
}
