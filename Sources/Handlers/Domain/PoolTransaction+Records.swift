/// Typed access to the records every operation shares. Records are stored as their AWS shapes' JSON, so what
/// Describe* returns is what was written (plus computed fields such as EstimatedNumberOfUsers).
///
/// - `pool.json`: the pool's `UserPoolType`.
/// - `clients/<clientId>.json`: the client's `UserPoolClientType` (including its secret).
extension PoolTransaction {
    /// The pool's settings. The record exists whenever a transaction runs (`Store.withPool` checks).
    public func pool() throws -> UserPoolType {
        guard let json = try read(nil, "pool") else { throw AWSError.poolNotFound(poolId) }
        return try UserPoolType(json: json)
    }

    public func savePool(_ pool: UserPoolType) throws {
        try write(nil, "pool", pool.toJSON())
    }

    /// The client `clientId` of this pool, or `ResourceNotFoundException` as AWS words it.
    public func client(_ clientId: String) throws -> UserPoolClientType {
        guard let json = try read("clients", clientId) else { throw AWSError.clientNotFound(clientId) }
        return try UserPoolClientType(json: json)
    }

    public func saveClient(_ client: UserPoolClientType) throws {
        try write("clients", client.clientId ?? "", client.toJSON())
    }
}
