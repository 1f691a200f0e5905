/// ListUsers: one page of a pool's users in stored-name order, optionally filtered on one attribute.
struct ListUsers: Operation {
    static let name = "ListUsers"
    static let authorization = Authorization.iam

    /// The page size when Limit is omitted or 0 (the model allows 0): the model's maximum.
    static let defaultLimit = 60

    static let missingAttributes = AWSError.invalidParameter("One or more requested attributes do not exist.")

    let services: Services

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
        return try store.withPool(poolId, .shared) { tx in
            let pool = try tx.pool()
            if let requested = input.attributesToGet {
                guard requested.allSatisfy({ UserAttributes.definition(of: $0, in: pool) != nil }) else {
                    throw Self.missingAttributes
                }
            }
            let names = try tx.userStoredNames()
            var index = after.map { Self.firstIndex(in: names, after: $0) } ?? names.startIndex

            // The one scan the API allows: read records in order and stop as soon as the page is full.
            func nextMatch() throws -> (name: String, user: UserRecord)? {
                while index < names.endIndex {
                    let name = names[index]
                    index += 1
                    guard let user = try tx.user(storedName: name) else { continue }
                    if filter?.matches(user, in: pool) ?? true { return (name, user) }
                }
                return nil
            }
            var page: [(name: String, user: UserRecord)] = []
            while page.count < limit, let match = try nextMatch() { page.append(match) }
            // Look ahead so a token is given only when more users remain: unfiltered, any further name is one;
            // filtered, the next match has to be found.
            let more = try filter == nil ? index < names.endIndex : nextMatch() != nil

            if let requested = input.attributesToGet {
                try Self.checkPresent(requested, on: page.map(\.user))
            }
            var token: String?
            if more, let last = page.last {
                token = PageToken.make(after: last.name, scope: scope, secret: store.secret)
            }
            return ListUsersOutput(
                users: page.map { $0.user.userType(attributesToGet: input.attributesToGet) }, paginationToken: token)
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
