/// Lists a user pool's app clients (id, pool id, name), sorted by client id, a page at a time. Every client here
/// is `REGULAR` (made by CreateUserPoolClient; there is no dynamic client registration), so the `ClientType` filter
/// keeps them all or, for `DCR`, none.
struct ListUserPoolClients: Operation {
    static let name = "ListUserPoolClients"
    static let authorization = Authorization.iam

    /// The page size when MaxResults is omitted: the model's maximum.
    static let defaultMaxResults = 60

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: ListUserPoolClientsInput) throws -> ListUserPoolClientsOutput {
        let poolId = input.userPoolId
        let limit = input.maxResults ?? Self.defaultMaxResults
        let store = services.store
        // A token names the last client id of the previous page, for this pool's listing only.
        let scope = "ListUserPoolClients:" + poolId
        return try store.withPool(poolId, .shared) { tx in
            let after = try input.nextToken.map { token throws(AWSError) in
                try PageToken.read(token, scope: scope, secret: store.secret)
            }
            let ids = input.clientType == .dcr ? [] : try tx.keys("clients")
            let remaining = after.map { last in ids.filter { $0 > last } } ?? ids
            let page = remaining.prefix(limit)
            let clients = try page.map { id in
                UserPoolClientDescription(clientId: id, userPoolId: poolId, clientName: try tx.client(id).clientName)
            }
            var next: String?
            if remaining.count > page.count, let last = page.last {
                next = PageToken.make(after: last, scope: scope, secret: store.secret)
            }
            return ListUserPoolClientsOutput(userPoolClients: clients, nextToken: next)
        }
    }
}
