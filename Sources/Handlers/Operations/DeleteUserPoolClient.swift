/// Deletes an app client: its global index entry, then its record.
struct DeleteUserPoolClient: Operation {
    static let name = "DeleteUserPoolClient"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: DeleteUserPoolClientInput) throws -> DeleteUserPoolClientOutput {
        let store = services.store
        try store.withPool(input.userPoolId, .exclusive) { tx in
            guard tx.exists("clients", input.clientId) else { throw AWSError.clientNotFound(input.clientId) }
            // Index first, record second (Store.swift): a crash in between leaves a record no public call can
            // reach, never an index entry pointing at nothing. Only this pool's entry is ours to remove.
            if try store.poolId(ofClient: input.clientId) == input.userPoolId {
                try store.unindexClient(input.clientId)
            }
            try tx.remove("clients", input.clientId)
        }
        return DeleteUserPoolClientOutput()
    }
}
