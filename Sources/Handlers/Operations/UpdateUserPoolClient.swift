/// Replaces an app client's configuration: every setting the request omits goes back to its default, as AWS
/// documents; the id, secret, creation date and (when omitted) the name are kept.
struct UpdateUserPoolClient: Operation {
    static let name = "UpdateUserPoolClient"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: UpdateUserPoolClientInput) throws -> UpdateUserPoolClientOutput {
        let settings = ClientSettings(input)
        let now = services.clock.now()
        let client = try services.store.withPool(input.userPoolId, .exclusive) { tx in
            let existing = try tx.client(input.clientId)
            let identity = UserPoolClientType(
                userPoolId: existing.userPoolId ?? input.userPoolId,
                clientName: input.clientName ?? existing.clientName,
                clientId: existing.clientId ?? input.clientId, clientSecret: existing.clientSecret,
                lastModifiedDate: now, creationDate: existing.creationDate)
            let client = try settings.client(identity, pool: try tx.pool(), verb: .updating)
            try tx.saveClient(client)
            return client
        }
        return UpdateUserPoolClientOutput(userPoolClient: client)
    }
}
