/// DescribeUserPool: the pool's settings as stored, with its current number of users.
struct DescribeUserPool: Operation {
    static let name = "DescribeUserPool"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: DescribeUserPoolInput) throws -> DescribeUserPoolOutput {
        try services.store.withPool(input.userPoolId, .shared) { tx in
            var pool = try tx.pool()
            // Counted, never stored: users are added and removed without touching pool.json.
            pool.estimatedNumberOfUsers = try tx.userCount()
            return DescribeUserPoolOutput(userPool: pool)
        }
    }
}
