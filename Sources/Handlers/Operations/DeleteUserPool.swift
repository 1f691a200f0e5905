/// DeleteUserPool: removes the pool and everything in it, unless deletion protection or a domain holds it.
struct DeleteUserPool: Operation {
    static let name = "DeleteUserPool"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: DeleteUserPoolInput) throws -> DeleteUserPoolOutput {
        let store = services.store
        try store.deletePool(input.userPoolId) { tx in
            let pool = try tx.pool()
            if pool.deletionProtection == .active {
                throw AWSError.invalidParameter(
                    "The user pool cannot be deleted because deletion protection is activated. "
                        + "Deletion protection must be inactivated first.")
            }
            if pool.domain != nil || pool.customDomain != nil {
                throw AWSError.invalidParameter(
                    "User pool cannot be deleted. It has a domain configured that should be deleted first.")
            }
            // Index entries go before the records they point to (the store's ordering rule).
            for clientId in try tx.keys("clients") {
                try store.unindexClient(clientId)
            }
        }
        return DeleteUserPoolOutput()
    }
}
