import Foundation
import Testing

@testable import Handlers

struct ListUsersTests {
    /// Writes a user straight into the store (the operations that create users have their own tests).
    @discardableResult
    static func user(
        _ h: Harness, _ poolId: String, _ username: String, _ attributes: [String: String] = [:],
        status: UserStatusType = .confirmed, enabled: Bool = true
    ) throws -> UserRecord {
        var user = UserRecord(
            username: username, sub: h.services.random.uuid(), attributes: attributes, status: status,
            now: h.clock.now())
        user.enabled = enabled
        try h.store.withPool(poolId, .exclusive) { tx in try tx.saveUser(user, previous: nil, in: tx.pool()) }
        return user
    }

    static func delete(_ h: Harness, _ poolId: String, _ username: String) throws {
        try h.store.withPool(poolId, .exclusive) { tx in
            let pool = try tx.pool()
            if let user = try tx.user(named: username, in: pool) { try tx.deleteUser(user, in: pool) }
        }
    }

    /// One page: the usernames, the full `Users` entries and the next token.
    func page(
        _ h: Harness, _ poolId: String, filter: String? = nil, limit: Int? = nil, token: String? = nil,
        attributes: [String]? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) -> (names: [String], users: [JSON], next: String?) {
        var input: [String: JSON] = ["UserPoolId": .string(poolId)]
        if let filter { input["Filter"] = .string(filter) }
        if let limit { input["Limit"] = .int(limit) }
        if let token { input["PaginationToken"] = .string(token) }
        if let attributes { input["AttributesToGet"] = .array(attributes.map { .string($0) }) }
        let out = h.ok("ListUsers", .object(input), sourceLocation: sourceLocation)
        let users = out["Users"]?.arrayValue ?? []
        return (users.compactMap { $0["Username"]?.stringValue }, users, out["PaginationToken"]?.stringValue)
    }

    /// The usernames a filter selects (one page is enough for these small pools).
    func names(_ h: Harness, _ poolId: String, _ filter: String, sourceLocation: SourceLocation = #_sourceLocation)
        -> [String]
    {
        page(h, poolId, filter: filter, sourceLocation: sourceLocation).names
    }

    /// Expects `input` to fail with `type` and `message`, changing nothing in the store.
    func refused(_ h: Harness, _ input: JSON, _ type: String, _ message: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
        let before = h.snapshot()
        let got = h.fails("ListUsers", input, type, sourceLocation: sourceLocation)
        #expect(got == message, sourceLocation: sourceLocation)
        #expect(h.snapshot() == before, "the store changed", sourceLocation: sourceLocation)
    }

    /// A case-insensitive pool (CreateUserPool's default) holding four users with every searchable attribute.
    func sample(_ h: Harness, _ extra: [String: JSON] = [:]) throws -> (poolId: String, users: [String: UserRecord]) {
        let poolId = CreateUserPoolTests.create(h, "list", extra)
        var users: [String: UserRecord] = [:]
        users["alice"] = try Self.user(
            h, poolId, "alice",
            ["email": "Alice@Example.com", "phone_number": "+15550001111", "name": "Alice Reddy",
             "given_name": "Alice", "family_name": "Reddy", "preferred_username": "ally"])
        users["alfred"] = try Self.user(
            h, poolId, "alfred",
            ["email": "alfred@example.org", "phone_number": "+15550002222", "name": "Alfred Jones",
             "given_name": "Alfred", "family_name": "Jones"],
            status: .unconfirmed)
        users["bob"] = try Self.user(
            h, poolId, "bob", ["email": "bob@example.com", "given_name": "Bob", "family_name": "Reddy"],
            status: .forceChangePassword, enabled: false)
        users["carol"] = try Self.user(h, poolId, "carol", [:], status: .resetRequired)
        return (poolId, users)
    }

    // MARK: Listing

    @Test func emptyPool() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        #expect(h.ok("ListUsers", ["UserPoolId": .string(poolId)]) == ["Users": []])
    }

    @Test func everyUserAsUserTypeSortedWithoutToken() throws {
        let h = try Harness()
        let (poolId, users) = try sample(h)
        let (names, entries, next) = page(h, poolId)
        #expect(names == ["alfred", "alice", "bob", "carol"])
        #expect(next == nil)
        let bob = try #require(entries.first { $0["Username"] == "bob" })
        let sub = try #require(users["bob"]?.sub)
        let created = JSON.int(Int(h.clock.now().timeIntervalSince1970))
        #expect(bob == [
            "Username": "bob",
            "Attributes": [
                ["Name": "sub", "Value": .string(sub)],
                ["Name": "email", "Value": "bob@example.com"],
                ["Name": "family_name", "Value": "Reddy"],
                ["Name": "given_name", "Value": "Bob"],
            ],
            "UserCreateDate": created, "UserLastModifiedDate": created,
            "Enabled": false, "UserStatus": "FORCE_CHANGE_PASSWORD",
        ])
        let carolSub = JSON.string(users["carol"]?.sub ?? "")
        #expect(entries.first { $0["Username"] == "carol" }?["Attributes"] == [["Name": "sub", "Value": carolSub]])
    }

    @Test func listingChangesNothing() throws {
        let h = try Harness()
        let (poolId, _) = try sample(h)
        let before = h.snapshot()
        _ = page(h, poolId, filter: "email ^= \"a\"", limit: 1)
        #expect(h.snapshot() == before)
    }

    // MARK: Filters

    @Test func filterFormsAndAttributes() throws {
        let h = try Harness()
        let (poolId, _) = try sample(h)
        let cases: [(String, [String])] = [
            ("username = \"alice\"", ["alice"]),
            ("username ^= \"al\"", ["alfred", "alice"]),
            ("email = \"bob@example.com\"", ["bob"]),
            ("email ^= \"al\"", ["alfred", "alice"]),
            ("phone_number = \"+15550002222\"", ["alfred"]),
            ("phone_number ^= \"+1555000\"", ["alfred", "alice"]),
            ("name = \"Alice Reddy\"", ["alice"]),
            ("name ^= \"Al\"", ["alfred", "alice"]),
            ("given_name = \"Bob\"", ["bob"]),
            ("given_name ^= \"Alf\"", ["alfred"]),
            ("family_name = \"Reddy\"", ["alice", "bob"]),
            ("family_name ^= \"J\"", ["alfred"]),
            ("preferred_username = \"ally\"", ["alice"]),
            ("preferred_username ^= \"a\"", ["alice"]),
            ("cognito:user_status = \"UNCONFIRMED\"", ["alfred"]),
            ("cognito:user_status ^= \"RESET\"", ["carol"]),
            ("status = \"Disabled\"", ["bob"]),
            ("status = \"Enabled\"", ["alfred", "alice", "carol"]),
            ("status ^= \"Dis\"", ["bob"]),
            ("email = \"nobody@example.com\"", []),
            ("given_name ^= \"\"", ["alfred", "alice", "bob"]),
        ]
        for (filter, expected) in cases {
            #expect(names(h, poolId, filter) == expected, "\(filter)")
        }
    }

    @Test func subExactAndPrefix() throws {
        let h = try Harness()
        let (poolId, users) = try sample(h)
        let sub = try #require(users["carol"]?.sub)
        #expect(names(h, poolId, "sub = \"\(sub)\"") == ["carol"])
        #expect(names(h, poolId, "sub ^= \"\(sub.prefix(13))\"") == ["carol"])
        #expect(names(h, poolId, "sub = \"\(sub.prefix(13))\"") == [])
    }

    @Test func whitespaceAndEscapesAreOptional() throws {
        let h = try Harness()
        let (poolId, _) = try sample(h)
        let filters = [
            "email=\"bob@example.com\"",
            "  email   =   \"bob@example.com\"   ",
            "email\t=\n\"bob@example.com\"",
            "email = \"\\b\\o\\b@example.com\"",
        ]
        for filter in filters {
            #expect(names(h, poolId, filter) == ["bob"], "\(filter)")
            #expect(names(h, poolId, filter.replacingOccurrences(of: "=", with: "^=")) == ["bob"], "\(filter)")
        }
    }

    @Test func escapedQuotesAndBackslashes() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        try Self.user(h, poolId, "quoted", ["family_name": "O\"Brien", "name": "back\\slash \"x\""])
        try Self.user(h, poolId, "plain", ["family_name": "OBrien", "name": "backslash"])
        #expect(names(h, poolId, #"family_name = "O\"Brien""#) == ["quoted"])
        #expect(names(h, poolId, #"family_name ^= "O\"""#) == ["quoted"])
        #expect(names(h, poolId, #"name = "back\\slash \"x\"""#) == ["quoted"])
        #expect(names(h, poolId, #"name ^= "back\\""#) == ["quoted"])
        #expect(names(h, poolId, #"name ^= "back\s""#) == ["plain"])
    }

    @Test func emptyFilterMeansNoFilter() throws {
        let h = try Harness()
        let (poolId, _) = try sample(h)
        #expect(names(h, poolId, "") == ["alfred", "alice", "bob", "carol"])
        #expect(names(h, poolId, "   ") == ["alfred", "alice", "bob", "carol"])
    }

    @Test func caseOfMatches() throws {
        let h = try Harness()
        let (poolId, _) = try sample(h)
        // Attribute values and cognito:user_status: case-insensitive.
        #expect(names(h, poolId, "email = \"alice@example.com\"") == ["alice"])
        #expect(names(h, poolId, "email ^= \"ALICE@\"") == ["alice"])
        #expect(names(h, poolId, "family_name = \"reddy\"") == ["alice", "bob"])
        #expect(names(h, poolId, "cognito:user_status = \"unconfirmed\"") == ["alfred"])
        // status: case-sensitive, as AWS documents it.
        #expect(names(h, poolId, "status = \"disabled\"") == [])
        // username in a case-insensitive pool: folded as the pool folds usernames.
        #expect(names(h, poolId, "username = \"ALICE\"") == ["alice"])
    }

    @Test func usernameIsCaseSensitiveInCaseSensitivePools() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h, "cs", ["UsernameConfiguration": ["CaseSensitive": true]])
        try Self.user(h, poolId, "Alice")
        try Self.user(h, poolId, "alice")
        #expect(names(h, poolId, "username = \"Alice\"") == ["Alice"])
        #expect(names(h, poolId, "username ^= \"al\"") == ["alice"])
        #expect(names(h, poolId, "username = \"ALICE\"") == [])
    }

    @Test func unsearchableAttribute() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h, "p", ["Schema": [["Name": "tier", "AttributeDataType": "String"]]])
        for name in ["custom:tier", "address", "Email", "middle_name", "email_verified", "cognito:username"] {
            refused(h, ["UserPoolId": .string(poolId), "Filter": .string("\(name) = \"x\"")],
                    "InvalidParameterException", "Invalid search attribute: \(name)")
        }
    }

    @Test func malformedFilter() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        let filters = [
            "email", "email =", "email = bob", "email = \"bob", "email == \"bob\"", "email ~= \"bob\"",
            "email ^ = \"bob\"", "= \"bob\"", "email = \"bob\" x", "email = \"bob\"\"", "email = 'bob'",
            "email = \"bob\\", "email \"bob\"", "email = \"a\" AND name = \"b\"", "\"email\" = \"bob\"",
        ]
        for filter in filters {
            refused(h, ["UserPoolId": .string(poolId), "Filter": .string(filter)],
                    "InvalidParameterException", "Error while parsing filter.")
        }
    }

    // MARK: AttributesToGet

    @Test func attributesToGet() throws {
        let h = try Harness()
        let (poolId, users) = try sample(h)
        let emails = page(h, poolId, filter: "email ^= \"\"", attributes: ["email"]).users
        #expect(emails.map { $0["Attributes"] } == [
            [["Name": "email", "Value": "alfred@example.org"]],
            [["Name": "email", "Value": "Alice@Example.com"]],
            [["Name": "email", "Value": "bob@example.com"]],
        ])
        // "Amazon Cognito returns an error if not all users in the results have set a value for the attribute you
        // request", searchable or not: carol has no email.
        refused(h, ["UserPoolId": .string(poolId), "AttributesToGet": ["email", "sub"]], "InvalidParameterException",
                "One or more requested attributes do not exist.")
        let all = page(h, poolId, attributes: ["sub"]).users
        #expect(all.last?["Attributes"] == [["Name": "sub", "Value": .string(users["carol"]?.sub ?? "")]])
        #expect(all.last?["UserStatus"] == "RESET_REQUIRED")
        // An empty list asks for no attributes.
        #expect(page(h, poolId, attributes: []).users.allSatisfy { $0["Attributes"] == [] })
    }

    @Test func attributesToGetNotInTheSchema() throws {
        let h = try Harness()
        let (poolId, _) = try sample(h)
        for name in ["foo", "custom:tier", "username", "cognito:user_status"] {
            refused(h, ["UserPoolId": .string(poolId), "AttributesToGet": ["email", .string(name)]],
                    "InvalidParameterException", "One or more requested attributes do not exist.")
        }
    }

    @Test func unsearchableAttributesMustBeSetOnEveryUserReturned() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h, "p", ["Schema": [["Name": "tier", "AttributeDataType": "String"]]])
        try Self.user(h, poolId, "gold", ["custom:tier": "gold", "locale": "en", "email": "g@example.com"])
        try Self.user(h, poolId, "none", ["email": "n@example.com"])
        refused(h, ["UserPoolId": .string(poolId), "AttributesToGet": ["custom:tier"]],
                "InvalidParameterException", "One or more requested attributes do not exist.")
        refused(h, ["UserPoolId": .string(poolId), "AttributesToGet": ["locale"]],
                "InvalidParameterException", "One or more requested attributes do not exist.")
        // With a filter (or a page) that returns only users who have them, they come back.
        let gold = page(h, poolId, filter: "email ^= \"g\"", attributes: ["custom:tier", "locale"]).users
        #expect(gold.map { $0["Attributes"] } == [
            [["Name": "custom:tier", "Value": "gold"], ["Name": "locale", "Value": "en"]]
        ])
        #expect(page(h, poolId, limit: 1, attributes: ["custom:tier"]).names == ["gold"])
    }

    // MARK: Limit and pagination

    @Test func limitDefaultsToSixty() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        for i in 0..<61 { try Self.user(h, poolId, String(format: "user%02d", i)) }
        for limit in [nil, 0] as [Int?] {
            let first = page(h, poolId, limit: limit)
            #expect(first.names.count == 60)
            let second = page(h, poolId, limit: limit, token: first.next)
            #expect(second.names == ["user60"] && second.next == nil)
        }
        let exact = page(h, poolId, limit: 60, token: nil)
        #expect(exact.next != nil)
    }

    @Test func limitOutOfRange() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        refused(h, ["UserPoolId": .string(poolId), "Limit": 61], "InvalidParameterException",
                "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: "
                    + "Member must have value less than or equal to 60")
    }

    @Test func pagesStayValidWhileUsersComeAndGo() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        for i in 0..<10 { try Self.user(h, poolId, "u\(i)") }

        let first = page(h, poolId, limit: 3)
        #expect(first.names == ["u0", "u1", "u2"])
        // Delete the user the token names and one ahead; add one before the token and one after it.
        try Self.delete(h, poolId, "u2")
        try Self.delete(h, poolId, "u4")
        try Self.user(h, poolId, "u0a")
        try Self.user(h, poolId, "u3a")

        let second = page(h, poolId, limit: 3, token: first.next)
        #expect(second.names == ["u3", "u3a", "u5"])
        try Self.delete(h, poolId, "u6")
        try Self.user(h, poolId, "u9z")

        let third = page(h, poolId, limit: 3, token: second.next)
        #expect(third.names == ["u7", "u8", "u9"])
        #expect(third.next != nil)
        let fourth = page(h, poolId, limit: 3, token: third.next)
        #expect(fourth.names == ["u9z"] && fourth.next == nil)

        // A page that ends exactly at the last user has no token.
        let whole = page(h, poolId, limit: 10)
        #expect(whole.names == ["u0", "u0a", "u1", "u3", "u3a", "u5", "u7", "u8", "u9", "u9z"] && whole.next == nil)
    }

    @Test func filteredPagination() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        for i in 0..<9 { try Self.user(h, poolId, "u\(i)", ["given_name": i % 2 == 0 ? "Even" : "Odd"]) }
        var seen: [String] = []
        var sizes: [Int] = []
        var token: String?
        repeat {
            let p = page(h, poolId, filter: "given_name = \"Even\"", limit: 2, token: token)
            seen += p.names
            sizes.append(p.names.count)
            token = p.next
        } while token != nil
        #expect(seen == ["u0", "u2", "u4", "u6", "u8"])
        #expect(sizes == [2, 2, 1])
        // The last match ending a page exactly: no token, no empty page after it.
        #expect(page(h, poolId, filter: "given_name = \"Odd\"", limit: 4).next == nil)

        // The same filter spelled differently continues; another filter does not.
        let first = page(h, poolId, filter: "given_name = \"Even\"", limit: 2)
        #expect(page(h, poolId, filter: "  given_name=\"\\Even\"", limit: 2, token: first.next).names == ["u4", "u6"])
        refused(h, ["UserPoolId": .string(poolId), "Filter": "given_name = \"Odd\"",
                    "PaginationToken": .string(first.next ?? "")],
                "InvalidParameterException", "Invalid pagination token.")
        refused(h, ["UserPoolId": .string(poolId), "PaginationToken": .string(first.next ?? "")],
                "InvalidParameterException", "Invalid pagination token.")
    }

    @Test func forgedOrForeignToken() throws {
        let h = try Harness()
        let first = CreateUserPoolTests.create(h, "one")
        let second = CreateUserPoolTests.create(h, "two")
        for i in 0..<3 {
            try Self.user(h, first, "a\(i)")
            try Self.user(h, second, "b\(i)")
        }
        let token = try #require(page(h, first, limit: 1).next)
        // A token naming a user, made without the deployment's secret.
        let forged = Base64URL.encode(Array("a1".utf8)) + "." + Base64URL.encode([UInt8](repeating: 7, count: 32))
        for (pool, bad) in [(second, token), (first, "x" + token), (first, forged), (first, "not-a-token")] {
            refused(h, ["UserPoolId": .string(pool), "Limit": 1, "PaginationToken": .string(bad)],
                    "InvalidParameterException", "Invalid pagination token.")
        }
    }

    @Test func firstPageDoesNotReadEveryUser() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        for name in ["a", "b", "c"] { try Self.user(h, poolId, name, ["given_name": name == "c" ? "C" : "AB"]) }
        // A record at the end of the order that cannot be read: any scan reaching it fails.
        let damaged = h.store.poolDirectory(poolId) + "/users/zzz.json"
        try Data("not json".utf8).write(to: URL(fileURLWithPath: damaged))

        #expect(page(h, poolId, limit: 2).names == ["a", "b"])
        #expect(page(h, poolId, filter: "given_name = \"AB\"", limit: 1).names == ["a"])
        h.fails("ListUsers", ["UserPoolId": .string(poolId)], "InternalErrorException")
    }

    /// Every page of `filter` through a ListUsers reading `records` records per lock, and how often it let go.
    static func listing(
        _ h: Harness, _ poolId: String, filter: String?, limit: Int, records: Int,
        between: @escaping @Sendable () throws -> Void = {}
    ) throws -> (pages: [[String]], slices: Int) {
        let breaks = LockedBox(0)
        var op = ListUsers(h.services)
        op.recordsPerLock = records
        op.betweenSlices = {
            breaks.mutate { $0 += 1 }
            try between()
        }
        var pages: [[String]] = []
        var token: String?
        repeat {
            let input = ListUsersInput(userPoolId: poolId, limit: limit, paginationToken: token, filter: filter)
            let out = try op.run(input)
            pages.append((out.users ?? []).compactMap(\.username))
            token = out.paginationToken
        } while token != nil
        return (pages, breaks.value)
    }

    /// A scan read in slices pages exactly as one read under a single lock, filtered or not.
    @Test func slicedScansPageAsOneLockWould() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        for i in 0..<9 { try Self.user(h, poolId, "u\(i)", ["given_name": i % 3 == 0 ? "Three" : "Other"]) }
        for filter in [nil, "given_name = \"Three\"", "given_name = \"Other\"", "given_name = \"None\""] {
            for limit in [1, 2, 4, 60] {
                let whole = try Self.listing(h, poolId, filter: filter, limit: limit, records: 1000)
                #expect(whole.slices == 0)
                for records in [1, 2, 3] {
                    let sliced = try Self.listing(h, poolId, filter: filter, limit: limit, records: records)
                    #expect(sliced.pages == whole.pages, "\(filter ?? "-") limit \(limit) records \(records)")
                }
            }
        }
        let sparse = try Self.listing(h, poolId, filter: "given_name = \"None\"", limit: 60, records: 2)
        #expect(sparse.pages == [[]] && sparse.slices == 4)
    }

    /// An unfiltered page lists only the names it needs (the page and one more); when users it listed are deleted
    /// between slices, it lists the names after them and still fills the page, and the token goes on from there.
    @Test func unfilteredPagesListMoreWhenListedUsersGo() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        for i in 0..<9 { try Self.user(h, poolId, "u\(i)") }
        let deletions = LockedBox(["u1", "u2", "u3"])
        let store = h.store
        let listed = try Self.listing(h, poolId, filter: nil, limit: 3, records: 1) {
            var next: String?
            deletions.mutate { if !$0.isEmpty { next = $0.removeFirst() } }
            guard let next else { return }
            try store.withPool(poolId, .exclusive) { tx in
                let pool = try tx.pool()
                if let user = try tx.user(named: next, in: pool) { try tx.deleteUser(user, in: pool) }
            }
        }
        #expect(deletions.value.isEmpty)
        #expect(listed.pages == [["u0", "u4", "u5"], ["u6", "u7", "u8"]])
    }

    /// Between slices the pool's lock is free: a writer gets in, and the page skips a user deleted meanwhile.
    @Test func writersGetInBetweenSlices() throws {
        let h = try Harness()
        let poolId = CreateUserPoolTests.create(h)
        for i in 0..<8 { try Self.user(h, poolId, "u\(i)", ["given_name": "Same"]) }
        let lockPath = h.store.poolDirectory(poolId) + "/lock"
        let store = h.store
        let listed = try Self.listing(h, poolId, filter: "given_name = \"Same\"", limit: 60, records: 3) {
            let fd = open(lockPath, O_RDWR)
            #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "the pool's lock is held between slices")
            close(fd)
            try store.withPool(poolId, .exclusive) { tx in
                let pool = try tx.pool()
                if let user = try tx.user(named: "u6", in: pool) { try tx.deleteUser(user, in: pool) }
            }
        }
        #expect(listed.slices == 2)
        #expect(listed.pages == [["u0", "u1", "u2", "u3", "u4", "u5", "u7"]])
    }

    // MARK: Errors and the query form

    @Test func unknownPool() throws {
        let h = try Harness()
        refused(h, ["UserPoolId": "us-east-1_nothere00"], "ResourceNotFoundException",
                "User pool us-east-1_nothere00 does not exist.")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let (poolId, _) = try sample(h)
        let (status, body) = h.query("ListUsers", [
            ("UserPoolId", poolId), ("Filter", "family_name = \"Reddy\""), ("Limit", "1"),
            ("AttributesToGet.member.1", "family_name"), ("AttributesToGet.member.2", "given_name"),
        ])
        #expect(status == 200)
        let users = body["Users"]?.arrayValue ?? []
        #expect(users.map { $0["Username"] } == ["alice"])
        #expect(users.first?["Attributes"] == [
            ["Name": "family_name", "Value": "Reddy"], ["Name": "given_name", "Value": "Alice"],
        ])
        let token = try #require(body["PaginationToken"]?.stringValue)

        let (nextStatus, next) = h.query("ListUsers", [
            ("UserPoolId", poolId), ("Filter", "family_name = \"Reddy\""), ("PaginationToken", token),
            ("AttributesToGet", "[\"given_name\"]"),
        ])
        #expect(nextStatus == 200)
        #expect(next == ["Users": [[
            "Username": "bob", "Attributes": [["Name": "given_name", "Value": "Bob"]],
            "UserCreateDate": .int(Int(h.clock.now().timeIntervalSince1970)),
            "UserLastModifiedDate": .int(Int(h.clock.now().timeIntervalSince1970)),
            "Enabled": false, "UserStatus": "FORCE_CHANGE_PASSWORD",
        ]]])

        let (badStatus, bad) = h.query("ListUsers", [("UserPoolId", poolId), ("Filter", "custom:x = \"1\"")])
        #expect(badStatus == 400)
        #expect(bad == ["__type": "InvalidParameterException", "message": "Invalid search attribute: custom:x"])
    }
}
