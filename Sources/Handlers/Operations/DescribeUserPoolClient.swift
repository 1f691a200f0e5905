/// Returns an app client's configuration, its secret included.
struct DescribeUserPoolClient: Operation {
    static let name = "DescribeUserPoolClient"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: DescribeUserPoolClientInput) throws -> DescribeUserPoolClientOutput {
        let client = try services.store.withPool(input.userPoolId, .shared) { tx in
            try tx.client(input.clientId)
        }
        return DescribeUserPoolClientOutput(userPoolClient: client)
    }
}
