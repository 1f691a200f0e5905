/// AddCustomAttributes: appends custom attributes to the pool's schema.
struct AddCustomAttributes: Operation {
    static let name = "AddCustomAttributes"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AddCustomAttributesInput) throws -> AddCustomAttributesOutput {
        let now = services.clock.now()
        try services.store.withPool(input.userPoolId, .exclusive) { tx in
            var pool = try tx.pool()
            pool.schemaAttributes = try PoolSettings.addingCustomAttributes(
                input.customAttributes, to: pool.schemaAttributes ?? [])
            pool.lastModifiedDate = now
            try tx.savePool(pool)
        }
        return AddCustomAttributesOutput()
    }
}
