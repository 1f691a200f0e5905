/// CreateUserPool: a new pool with every setting the request gives and AWS's defaults for the rest.
struct CreateUserPool: Operation {
    static let name = "CreateUserPool"
    static let authorization = Authorization.iam

    /// Fresh ids to try before giving up; with 62^9 ids per region a second try is already rare.
    static let idAttempts = 5

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: CreateUserPoolInput) throws -> CreateUserPoolOutput {
        try PoolSettings.checkSignInAttributes(username: input.usernameAttributes, alias: input.aliasAttributes)
        let settings = try PoolSettings(input)
        try PoolSettings.checkCreationMfa(input.mfaConfiguration, sms: input.smsConfiguration,
                                          autoVerified: input.autoVerifiedAttributes)
        let schema = try PoolSettings.schemaAttributes(input.schema)
        let region = services.config.region
        let now = services.clock.now()

        for _ in 0..<Self.idAttempts {
            let id = PoolSettings.newPoolId(region: region, random: services.random)
            var pool = UserPoolType()
            pool.id = id
            pool.name = input.poolName
            pool.arn = PoolSettings.arn(region: region, poolId: id)
            pool.creationDate = now
            pool.lastModifiedDate = now
            pool.schemaAttributes = schema
            pool.usernameAttributes = input.usernameAttributes
            pool.aliasAttributes = input.aliasAttributes
            // Case-insensitive usernames are our documented default for new pools (AWS's console default too).
            pool.usernameConfiguration = input.usernameConfiguration ?? UsernameConfigurationType(caseSensitive: false)
            settings.apply(to: &pool)
            let stored = pool
            let created = try services.store.createPool(id) { tx in
                // The signing keys before pool.json: nobody can see (or wait for) the pool until that exists.
                try services.keys.createKeys(in: tx, now: now)
                try tx.savePool(stored)
            }
            if created {
                pool.estimatedNumberOfUsers = 0
                return CreateUserPoolOutput(userPool: pool)
            }
        }
        services.logger.error("CreateUserPool: no free pool id after \(Self.idAttempts) attempts")
        throw AWSError.internalError
    }
}
