/// Typed access to the records every operation shares. Records are stored as their AWS shapes' JSON, so what
/// Describe* returns is what was written (plus computed fields such as EstimatedNumberOfUsers).
///
/// - `pool.json`: the pool's `UserPoolType`.
/// - `clients/<clientId>.json`: the client's `UserPoolClientType` (including its secret).
extension PoolTransaction {
    /// The pool's settings. The record exists whenever a transaction runs (`Store.withPool` checks).
    /// Parsed once per process and kept while the file is unchanged (`RecordCache`).
    /// Under `Store.withPool` the file's stamp was taken with the lock, so this costs no `stat` of its own.
    public func pool() throws -> UserPoolType {
        guard let pool = try cached(store.pools, nil, Self.poolRecord, stamp: memo.poolStamp, UserPoolType.init(json:))
        else { throw AWSError.poolNotFound(poolId) }
        return pool
    }

    public func savePool(_ pool: UserPoolType) throws {
        memo.poolStamp = nil
        try write(nil, Self.poolRecord, pool.toJSON())
    }

    /// The client `clientId` of this pool, or `ResourceNotFoundException` as AWS words it.
    public func client(_ clientId: String) throws -> UserPoolClientType {
        guard let client = try clientIfExists(clientId) else { throw AWSError.clientNotFound(clientId) }
        return client
    }

    /// The client `clientId` of this pool, or nil. Parsed once per process, like `pool()`. Every client here was
    /// made by CreateUserPoolClient (there is no dynamic client registration), so a record written before
    /// `ClientType` was stored is a REGULAR one.
    public func clientIfExists(_ clientId: String) throws -> UserPoolClientType? {
        try cached(store.clients, "clients", clientId) { json in
            var client = try UserPoolClientType(json: json)
            client.clientType = client.clientType ?? .regular
            return client
        }
    }

    /// The record through `cache`; `stamp` is the file's when the caller already took it under the lock.
    private func cached<T>(
        _ cache: RecordCache<T>, _ folder: String?, _ key: String, stamp: FileStamp? = nil,
        _ make: (JSON) throws -> T
    ) throws -> T? {
        let location = location(folder, key)
        let parse = { (bytes: [UInt8]) in try make(Self.parse(bytes, path: location.path)) }
        guard let stamp else { return try cache.value(at: location, parse: parse) }
        return try cache.value(at: location, stamp: stamp, parse: parse)
    }

    public func saveClient(_ client: UserPoolClientType) throws {
        try write("clients", client.clientId ?? "", client.toJSON())
    }
}
