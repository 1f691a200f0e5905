/// ListUserPools: one page of the store's pools, sorted by id.
struct ListUserPools: Operation {
    static let name = "ListUserPools"
    static let authorization = Authorization.iam
    static let tokenScope = "ListUserPools"

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: ListUserPoolsInput) throws -> ListUserPoolsOutput {
        let store = services.store
        // The token names the last id a page covered, so pages stay valid while pools come and go.
        let after = try input.nextToken.map { try PageToken.read($0, scope: Self.tokenScope, secret: store.secret) }
        let ids = try store.poolIds()
        var index = ids.startIndex
        if let after { index = ids.firstIndex { $0 > after } ?? ids.endIndex }

        var pools: [UserPoolDescriptionType] = []
        var lastId: String?
        while index < ids.endIndex, pools.count < input.maxResults {
            let id = ids[index]
            index += 1
            lastId = id
            let pool: UserPoolType
            do {
                pool = try store.withPool(id, .shared) { tx in try tx.pool() }
            } catch let error as AWSError where error.code == .resourceNotFound {
                continue  // deleted since the listing
            }
            pools.append(
                UserPoolDescriptionType(
                    id: pool.id, name: pool.name, lambdaConfig: pool.lambdaConfig ?? LambdaConfigType(),
                    lastModifiedDate: pool.lastModifiedDate, creationDate: pool.creationDate))
        }
        var nextToken: String?
        if index < ids.endIndex, let lastId {
            nextToken = PageToken.make(after: lastId, scope: Self.tokenScope, secret: store.secret)
        }
        return ListUserPoolsOutput(userPools: pools, nextToken: nextToken)
    }
}
