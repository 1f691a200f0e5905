/// UpdateUserPool: replaces the pool's settings; whatever the request omits goes back to AWS's default.
struct UpdateUserPool: Operation {
    static let name = "UpdateUserPool"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: UpdateUserPoolInput) throws -> UpdateUserPoolOutput {
        var settings = try PoolSettings(input)
        let now = services.clock.now()
        try services.store.withPool(input.userPoolId, .exclusive) { tx in
            let old = try tx.pool()
            // AWS documents one exception to "omitted means default": the feature plan stays as it is.
            settings.userPoolTier = input.userPoolTier ?? old.userPoolTier
            // Tags are not a setting with a default: TagResource/UntagResource manage them too, and an update
            // that leaves UserPoolTags out (as most callers do) must not silently drop them.
            settings.userPoolTags = input.userPoolTags ?? old.userPoolTags
            // "If you omit this parameter, Amazon Cognito keeps the existing configuration" (DcrConfiguration). The
            // issuer and the encryption key are the pool's identity rather than settings (secondary regions "must
            // match the existing configuration"): an update that leaves them out keeps them too (our choice; AWS
            // does not say).
            settings.dcrConfiguration = input.dcrConfiguration ?? old.dcrConfiguration
            settings.issuerConfiguration = input.issuerConfiguration ?? old.issuerConfiguration
            settings.keyConfiguration = input.keyConfiguration ?? old.keyConfiguration
            // Observed on AWS (ekristen/aws-nuke#477): an update that leaves UserAttributeUpdateSettings out keeps the
            // stored one, and it must still fit the request's AutoVerifiedAttributes (reset when left out too), so
            // a pool that holds changed emails until verified refuses an update that drops email's verification.
            if input.userAttributeUpdateSettings == nil {
                settings.userAttributeUpdateSettings = old.userAttributeUpdateSettings
                try settings.validate()
            }

            // What UpdateUserPool cannot change is carried over; everything else is rebuilt from the request.
            var pool = UserPoolType()
            pool.id = old.id
            pool.arn = old.arn
            pool.name = input.poolName ?? old.name
            pool.creationDate = old.creationDate
            pool.lastModifiedDate = now
            pool.schemaAttributes = old.schemaAttributes
            pool.usernameAttributes = old.usernameAttributes
            pool.aliasAttributes = old.aliasAttributes
            pool.usernameConfiguration = old.usernameConfiguration
            pool.domain = old.domain
            pool.customDomain = old.customDomain
            settings.apply(to: &pool)
            try tx.savePool(pool)
        }
        return UpdateUserPoolOutput()
    }
}
