/// ListUsers: one page of a pool's users in stored-name order, optionally filtered on one attribute.
struct ListUsers: Operation {
    static let name = "ListUsers"
    static let authorization = Authorization.iam

    /// The page size when Limit is omitted or 0 (the model allows 0): the model's maximum.
    static let defaultLimit = 60

    static let missingAttributes = AWSError.invalidParameter("One or more requested attributes do not exist.")

    /// How many records a filtered scan reads under one shared lock of the pool before it lets writers in. A
    /// filter that matches few users reads the whole folder for a page (40,000 records take ~1.25 s here); held
    /// for all of it, the lock kept every sign-up and pool change waiting. Between slices the listing goes on
    /// from the names it listed first, as pages already do from one request to the next: a user deleted meanwhile
    /// is skipped, one added meanwhile is not seen by this page (see `Scan` for an unfiltered one).
    static let recordsPerLock = 256

    let services: Services
    /// Records read per shared lock; `recordsPerLock` but in tests.
    var recordsPerLock = ListUsers.recordsPerLock
    /// Runs between two slices of a scan, while this request holds no lock (tests use it to get in).
    var betweenSlices: @Sendable () throws -> Void = {}

    init(_ services: Services) { self.services = services }

    func run(_ input: ListUsersInput) throws -> ListUsersOutput {
        let poolId = input.userPoolId
        let filter = try UserFilter.parse(input.filter)
        let limit = input.limit.flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultLimit
        let store = services.store
        // A token names the last user a page returned, for this pool and this filter only, so one listing
        // cannot be continued as another. Naming a user rather than a position keeps it valid while users
        // are added and deleted: the next page starts after that name, whether or not the user still exists.
        let scope = "ListUsers:" + poolId + "\u{0}" + (filter?.canonical ?? "")
        let after = try input.paginationToken.map { token throws(AWSError) in
            try PageToken.read(token, scope: scope, secret: store.secret)
        }
        var scan: Scan?
        repeat {
            if scan != nil { try betweenSlices() }
            try store.withPool(poolId, .shared) { tx in
                let pool = try tx.pool()
                if scan == nil {
                    if let requested = input.attributesToGet {
                        guard requested.allSatisfy({ UserAttributes.definition(of: $0, in: pool) != nil }) else {
                            throw Self.missingAttributes
                        }
                    }
                    scan = try Scan(tx, after: after, limit: limit, filter: filter)
                }
                try scan?.read(tx, pool: pool, records: max(1, recordsPerLock))
            }
        } while scan?.more == nil
        let page = scan?.page ?? []

        if let requested = input.attributesToGet {
            try Self.checkPresent(requested, on: page.map(\.user))
        }
        var token: String?
        if scan?.more == true, let last = page.last {
            token = PageToken.make(after: last.name, scope: scope, secret: store.secret)
        }
        return ListUsersOutput(
            users: page.map { $0.user.userType(attributesToGet: input.attributesToGet) }, paginationToken: token)
    }

    /// The one scan the API allows: records in stored-name order, stopping as soon as the page is full and it is
    /// known whether more users follow, a slice of records per lock.
    ///
    /// Unfiltered, a page needs only the first `limit` + 1 names after the token, listed without sorting the
    /// whole folder (`userStoredNames(after:first:)`; a request at 100,000 users: ~37 ms against ~64), and more
    /// after the last of them should some of those not be users after all (a name no record answers to, or one
    /// deleted between slices, which only tests' small slices allow: 61 names fit in one). A user added meanwhile
    /// after the last name listed may then be seen by this page. Filtered, a page may read any number of records
    /// before it is full, so it sorts every name once.
    struct Scan {
        var names: [String]
        var index: Int
        /// Whether `names` runs to the end of the users folder; if not, the names after its last are listed when
        /// the scan reaches it.
        var listedToEnd: Bool
        let limit: Int
        let filter: UserFilter?
        var page: [(name: String, user: UserRecord)] = []
        /// Whether a token is due, once known: unfiltered, any further name is a user; filtered, a further match
        /// has to be found.
        var more: Bool?

        init(_ tx: PoolTransaction, after: String?, limit: Int, filter: UserFilter?) throws {
            self.limit = limit
            self.filter = filter
            if filter == nil {
                (names, index, listedToEnd) = ([], 0, false)
                try listPage(tx, after: after)
            } else {
                let all = try tx.userStoredNames()
                names = all
                index = after.map { ListUsers.firstIndex(in: all, after: $0) } ?? all.startIndex
                listedToEnd = true
            }
        }

        /// The page's names after `after`, and one more to tell whether a token is due.
        private mutating func listPage(_ tx: PoolTransaction, after: String?) throws {
            names = try tx.userStoredNames(after: after, first: limit + 1)
            index = names.startIndex
            listedToEnd = names.count <= limit
        }

        /// Reads up to `records` records under `tx`'s lock.
        mutating func read(_ tx: PoolTransaction, pool: UserPoolType, records: Int) throws {
            var reads = 0
            while more == nil {
                if index == names.endIndex, !listedToEnd, let last = names.last {
                    try listPage(tx, after: last)
                }
                guard index < names.endIndex else {
                    more = false
                    return
                }
                if page.count == limit && filter == nil {
                    more = true
                    return
                }
                guard reads < records else { return }
                let name = names[index]
                index += 1
                reads += 1
                guard let user = try tx.user(storedName: name), filter?.matches(user, in: pool) ?? true else {
                    continue
                }
                if page.count == limit {
                    more = true
                    return
                }
                page.append((name, user))
            }
        }
    }

    /// AWS's documented rule: "Amazon Cognito returns an error if not all users in the results have set a value for
    /// the attribute you request" (ListUsersRequest.AttributesToGet), searchable or not (observed for `given_name`,
    /// aws/aws-sdk-js#2570).
    static func checkPresent(_ requested: [String], on users: [UserRecord]) throws(AWSError) {
        for name in requested {
            if users.contains(where: { $0.attributes[name] == nil }) { throw missingAttributes }
        }
    }

    /// The index of the first name sorted after `key` (binary search; `names` is sorted).
    static func firstIndex(in names: [String], after key: String) -> Int {
        var low = names.startIndex
        var high = names.endIndex
        while low < high {
            let mid = low + (high - low) / 2
            if names[mid] <= key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
