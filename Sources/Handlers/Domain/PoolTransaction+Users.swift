import Foundation

/// Finding, saving and deleting users, and keeping the alias index true.
///
/// Store layout inside a pool:
/// - `users/<UserKey>.json`: the `UserRecord`.
/// - `aliases/<attribute>:<folded value>.json`: `{"User": <UserKey>}` for every sign-in identifier other than
///   the username: `sub` always; `email`/`phone_number` when they are username attributes (always) or alias
///   attributes (once verified); `preferred_username` when it is an alias attribute.
///
/// Ordering: new index entries are written before the record, stale ones removed after it (and on deletion
/// the record goes first). Readers always confirm an entry against the record it names (`aliasOwner`), so
/// an entry left behind by a crash is dead and is overwritten by the next owner; whereas a *missing* entry for
/// a value a user holds would let a second user claim the same verified email. This refines Store.swift's
/// general rule (index after record, removed before it), which assumes readers that trust the index.
extension PoolTransaction {
    static let usersFolder = "users"
    static let aliasesFolder = "aliases"

    /// The user whose username is `username` (folded as the pool folds it).
    public func user(named username: String, in pool: UserPoolType) throws -> UserRecord? {
        try user(key: UserKey.username(username, in: pool))
    }

    /// `withUserLock` for the user whose username (as the pool stores it) is `username`: their record's key names the
    /// lock stripe, so the lock and the one record it lets the transaction write are the same user's.
    func withUserLock<T>(of username: String, in pool: UserPoolType, _ body: (PoolTransaction) throws -> T) throws -> T {
        try withUserLock(UserKey.username(username, in: pool), body)
    }

    /// Parsed once per process while the file is unchanged (`RecordCache`): a hit costs one `stat`.
    func user(key: String) throws -> UserRecord? {
        let location = location(Self.usersFolder, key)
        return try store.users.value(at: location) { bytes in
            try UserRecord(json: Self.parse(bytes, path: location.path))
        }
    }

    /// The user a client names: by username, or by any sign-in alias the pool has (email, phone number,
    /// preferred username), or by `sub` — the lookups AWS allows wherever an operation takes `Username`.
    public func findUser(_ name: String, in pool: UserPoolType) throws -> UserRecord? {
        if let user = try user(named: name, in: pool) { return user }
        for attribute in UserKey.lookupAttributes(of: pool) {
            if let user = try aliasOwner(attribute, name, in: pool) { return user }
        }
        return nil
    }

    /// The user who holds `value` as their `attribute` alias right now, confirmed against their record.
    public func aliasOwner(_ attribute: String, _ value: String, in pool: UserPoolType) throws -> UserRecord? {
        let aliasKey = UserKey.alias(attribute, value)
        guard let entry = try read(Self.aliasesFolder, aliasKey), let key = entry["User"]?.stringValue,
            let user = try user(key: key)
        else { return nil }
        let current = UserKey.aliases(of: user, in: pool)
        return current[attribute].map { UserKey.alias(attribute, $0) == aliasKey } == true ? user : nil
    }

    /// Attributes of `user` whose alias value is already held by another user.
    public func aliasConflicts(for user: UserRecord, in pool: UserPoolType) throws -> [String] {
        var taken: [String] = []
        for (attribute, value) in UserKey.aliases(of: user, in: pool).sorted(by: { $0.key < $1.key }) {
            if let owner = try aliasOwner(attribute, value, in: pool), owner.sub != user.sub {
                taken.append(attribute)
            }
        }
        return taken
    }

    /// Writes `user`, moving its alias entries from what `previous` had to what it has now. Alias values the
    /// caller allowed to be taken over from another user are simply overwritten (`aliasConflicts` first).
    public func saveUser(_ user: UserRecord, previous: UserRecord?, in pool: UserPoolType) throws {
        let old = previous.map { UserKey.aliases(of: $0, in: pool) } ?? [:]
        let new = UserKey.aliases(of: user, in: pool)
        let key = UserKey.username(user.username, in: pool)
        // Under a user lock only the record may change: stop before writing anything (see `Store.LockMode`).
        if mode == .oneUser && (old != new || previous == nil) { throw NeedsExclusiveLock() }
        for (attribute, value) in new where old[attribute].map({ UserKey.alias(attribute, $0) }) != UserKey.alias(attribute, value) {
            try write(Self.aliasesFolder, UserKey.alias(attribute, value), .object(["User": .string(key)]))
        }
        try write(Self.usersFolder, key, user.toJSON())
        for (attribute, value) in old where new[attribute].map({ UserKey.alias(attribute, $0) }) != UserKey.alias(attribute, value) {
            try removeAliasEntry(attribute, value, ifOwnedBy: key)
        }
    }

    /// Deletes `user`: the record first (with it go its codes and refresh tokens, at once), then its alias
    /// entries, which are dead from that moment.
    public func deleteUser(_ user: UserRecord, in pool: UserPoolType) throws {
        let key = UserKey.username(user.username, in: pool)
        try remove(Self.usersFolder, key)
        for (attribute, value) in UserKey.aliases(of: user, in: pool) {
            try removeAliasEntry(attribute, value, ifOwnedBy: key)
        }
    }

    private func removeAliasEntry(_ attribute: String, _ value: String, ifOwnedBy key: String) throws {
        let aliasKey = UserKey.alias(attribute, value)
        if let entry = try read(Self.aliasesFolder, aliasKey), entry["User"]?.stringValue == key {
            try remove(Self.aliasesFolder, aliasKey)
        }
    }

    /// Every user's stored name, sorted: ListUsers pages over these (`user(storedName:)` reads one).
    public func userStoredNames() throws -> [String] {
        try storedNames(Self.usersFolder)
    }

    public func user(storedName: String) throws -> UserRecord? {
        try read(Self.usersFolder, storedName: storedName).map(UserRecord.init(json:))
    }
}

extension PoolTransaction {
    /// The user `name` names — username, alias or `sub`, as every operation taking `Username` allows — or
    /// `UserNotFoundException` as AWS words it.
    public func existingUser(_ name: String, in pool: UserPoolType) throws -> UserRecord {
        guard let user = try findUser(name, in: pool) else { throw AWSError(.userNotFound, "User does not exist.") }
        return user
    }
}

extension Store {
    /// Runs `change` on the user `name` names in pool `poolId` and saves the record (with its alias entries) if
    /// `change` altered it. Returns what `change` returns. A `.oneUser` change: under the user's lock when only the
    /// record changes, run again under the pool's exclusive lock when an alias entry moves, so `change` must be
    /// free of effects outside the record it is given.
    public func changeUser<T>(
        _ poolId: String, _ name: String, _ change: (inout UserRecord, UserPoolType) throws -> T
    ) throws -> T {
        try withPool(poolId, .oneUser) { tx in
            let pool = try tx.pool()
            let found = try tx.existingUser(name, in: pool)
            return try tx.withUserLock(of: found.username, in: pool) { tx in
                let user = try tx.existingUser(name, in: pool)
                var changed = user
                let result = try change(&changed, pool)
                if changed != user { try tx.saveUser(changed, previous: user, in: pool) }
                return result
            }
        }
    }
}

/// How usernames and alias values become store keys.
public enum UserKey {
    /// Usernames are NFC-normalised; in a case-insensitive pool also case-folded, so `Alice` and `alice` are
    /// one user there (and two users in a case-sensitive pool).
    public static func username(_ username: String, in pool: UserPoolType) -> String {
        let nfc = nfc(username)
        return isCaseSensitive(pool) ? nfc : nfc.lowercased()
    }

    /// NFC; ASCII text (nearly every username, email address and `sub`) is its own NFC, without a trip
    /// through ICU on every lookup.
    static func nfc(_ text: String) -> String {
        text.utf8.allSatisfy { $0 < 0x80 } ? text : text.precomposedStringWithCanonicalMapping
    }

    /// Pools created without `UsernameConfiguration` behave as AWS's older pools: case-sensitive. New pools
    /// get `CaseSensitive: false` from CreateUserPool.
    public static func isCaseSensitive(_ pool: UserPoolType) -> Bool {
        pool.usernameConfiguration?.caseSensitive ?? true
    }

    static func alias(_ attribute: String, _ value: String) -> String {
        let nfc = nfc(value)
        // Email addresses and preferred usernames are matched without regard to case, as Cognito does.
        let folded = attribute == "phone_number" || attribute == "sub" ? nfc : nfc.lowercased()
        return attribute + ":" + folded
    }

    /// The alias attributes a pool resolves `Username` through, besides `sub`.
    static func lookupAttributes(of pool: UserPoolType) -> [String] {
        var names = (pool.usernameAttributes ?? []).map(\.rawValue)
        names += (pool.aliasAttributes ?? []).map(\.rawValue)
        return names + ["sub"]
    }

    /// The alias entries `user` holds in `pool`: attribute → value.
    static func aliases(of user: UserRecord, in pool: UserPoolType) -> [String: String] {
        var out = ["sub": user.sub]
        for attribute in (pool.usernameAttributes ?? []).map(\.rawValue) {
            if let value = user.attributes[attribute] { out[attribute] = value }
        }
        for attribute in (pool.aliasAttributes ?? []).map(\.rawValue) {
            guard let value = user.attributes[attribute] else { continue }
            if attribute == "preferred_username" || user.attributes[attribute + "_verified"] == "true" {
                out[attribute] = value
            }
        }
        return out
    }
}
