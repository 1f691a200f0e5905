/// Creates an app client in a user pool, with a generated (or given) client secret when asked.
struct CreateUserPoolClient: Operation {
    static let name = "CreateUserPoolClient"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: CreateUserPoolClientInput) throws -> CreateUserPoolClientOutput {
        if input.generateSecret == true && input.clientSecret != nil {
            throw AWSError.invalidParameter("You cannot specify both GenerateSecret as true and a ClientSecret value.")
        }
        let settings = ClientSettings(input)
        let secret = input.generateSecret == true ? ClientSettings.newSecret(services.random) : input.clientSecret
        var clientId = ClientSettings.newClientId(services.random)
        while try services.store.poolId(ofClient: clientId) != nil {
            clientId = ClientSettings.newClientId(services.random)
        }
        let now = services.clock.now()
        let identity = UserPoolClientType(
            userPoolId: input.userPoolId, clientName: input.clientName, clientId: clientId, clientSecret: secret,
            lastModifiedDate: now, creationDate: now)

        let client = try services.store.withPool(input.userPoolId, .exclusive) { tx in
            let client = try settings.client(identity, pool: try tx.pool(), verb: .creating)
            // The record first, then the global index that points at it (Store.swift's crash-safe order). Both
            // under the pool's lock, so a concurrent DeleteUserPool sees either neither or both.
            try tx.saveClient(client)
            try services.store.indexClient(clientId, poolId: input.userPoolId)
            return client
        }
        return CreateUserPoolClientOutput(userPoolClient: client)
    }
}
