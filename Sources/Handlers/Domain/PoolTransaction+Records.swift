/// Typed access to the records every operation shares. Records are stored as their AWS shapes' JSON, so what
/// Describe* returns is what was written (plus computed fields such as EstimatedNumberOfUsers).
///
/// - `pool.json`: the pool's `UserPoolType`.
/// - `clients/<clientId>.json`: the client's `UserPoolClientType` (including its secret).
extension PoolTransaction {
    /// The pool's settings. The record exists whenever a transaction runs (`Store.withPool` checks).
    /// Parsed once per process and kept while the file is unchanged (`RecordCache`).
    public func pool() throws -> UserPoolType {
        guard let pool = try cached(store.pools, nil, "pool", UserPoolType.init(json:)) else {
            throw AWSError.poolNotFound(poolId)
        }
        return pool
    }

    public func savePool(_ pool: UserPoolType) throws {
        try write(nil, "pool", pool.toJSON())
    }

    /// The client `clientId` of this pool, or `ResourceNotFoundException` as AWS words it.
    public func client(_ clientId: String) throws -> UserPoolClientType {
        guard let client = try clientIfExists(clientId) else { throw AWSError.clientNotFound(clientId) }
        return client
    }

    /// The client `clientId` of this pool, or nil. Parsed once per process, like `pool()`.
    public func clientIfExists(_ clientId: String) throws -> UserPoolClientType? {
        try cached(store.clients, "clients", clientId, UserPoolClientType.init(json:))
    }

    private func cached<T>(
        _ cache: RecordCache<T>, _ folder: String?, _ key: String, _ make: (JSON) throws -> T
    ) throws -> T? {
        let path = path(folder, key)
        return try cache.value(at: path) { bytes in try make(Self.parse(bytes, path: path)) }
    }

    public func saveClient(_ client: UserPoolClientType) throws {
        try write("clients", client.clientId ?? "", client.toJSON())
    }
}
