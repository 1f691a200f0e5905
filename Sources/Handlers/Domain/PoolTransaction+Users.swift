import Foundation

/// Finding, saving and deleting users, and keeping the alias index true.
///
/// Store layout inside a pool:
/// - `users/<UserKey>.json`: the `UserRecord`.
/// - `aliases/<UserKey.alias>.json`: `{"User": <UserKey>}` for every sign-in identifier other than the username:
///   `sub` always; `email`/`phone_number` when they are username attributes (always) or alias attributes (once
///   verified); `preferred_username` when it is an alias attribute.
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
        let aliasKey = UserKey.alias(attribute, value, in: pool)
        if let user = try entryOwner(at: aliasKey, holding: aliasKey, attribute, in: pool) { return user }
        guard let legacy = UserKey.legacyAlias(attribute, value, in: pool) else { return nil }
        return try entryOwner(at: legacy, holding: aliasKey, attribute, in: pool)
    }

    /// The user the entry at `entryKey` names, if their `attribute` alias is `aliasKey` now.
    private func entryOwner(
        at entryKey: String, holding aliasKey: String, _ attribute: String, in pool: UserPoolType
    ) throws -> UserRecord? {
        guard let entry = try read(Self.aliasesFolder, entryKey), let key = entry["User"]?.stringValue,
            let user = try user(key: key)
        else { return nil }
        let current = UserKey.aliases(of: user, in: pool)
        return current[attribute].map { UserKey.alias(attribute, $0, in: pool) == aliasKey } == true ? user : nil
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
        let oldValues = previous.map { UserKey.aliases(of: $0, in: pool) } ?? [:]
        let new = UserKey.aliases(of: user, in: pool)
        let key = UserKey.username(user.username, in: pool)
        // Under a user lock only the record may change: stop before writing anything (see `Store.LockMode`).
        if mode == .oneUser && (oldValues != new || previous == nil) { throw NeedsExclusiveLock() }
        var old: [String: (value: String, key: String)] = [:]
        for (attribute, value) in oldValues { old[attribute] = (value, UserKey.alias(attribute, value, in: pool)) }
        var newKeys: Set<String> = []
        for (attribute, value) in new {
            let aliasKey = UserKey.alias(attribute, value, in: pool)
            newKeys.insert(aliasKey)
            guard old[attribute]?.key != aliasKey else { continue }
            try keepLegacyEntry(at: aliasKey, attribute, unlessHeldBy: key, in: pool)
            try write(Self.aliasesFolder, aliasKey, .object(["User": .string(key)]))
        }
        try write(Self.usersFolder, key, user.toJSON())
        for (attribute, (value, aliasKey)) in old where !newKeys.contains(aliasKey) {
            try removeAliasEntry(attribute, value, ifOwnedBy: key, keeping: newKeys, in: pool)
        }
    }

    /// Deletes `user`: the record first (with it go its codes and refresh tokens, at once), then its alias
    /// entries, which are dead from that moment.
    public func deleteUser(_ user: UserRecord, in pool: UserPoolType) throws {
        let key = UserKey.username(user.username, in: pool)
        try remove(Self.usersFolder, key)
        for (attribute, value) in UserKey.aliases(of: user, in: pool) {
            try removeAliasEntry(attribute, value, ifOwnedBy: key, keeping: [], in: pool)
        }
    }

    /// Removes the entry of `value` (and its legacy folded one, unless that is among the user's entries to keep) if
    /// it names the user `key`.
    private func removeAliasEntry(
        _ attribute: String, _ value: String, ifOwnedBy key: String, keeping: Set<String>, in pool: UserPoolType
    ) throws {
        var entryKeys = [UserKey.alias(attribute, value, in: pool)]
        if let legacy = UserKey.legacyAlias(attribute, value, in: pool), !keeping.contains(legacy) {
            entryKeys.append(legacy)
        }
        for entryKey in entryKeys {
            if let entry = try read(Self.aliasesFolder, entryKey), entry["User"]?.stringValue == key {
                try remove(Self.aliasesFolder, entryKey)
            }
        }
    }

    /// Before `aliasKey` is written for the user `writer`: if the entry there is another user's legacy folded one (a
    /// case-sensitive pool's entry from before exact keys, for a value differing from this one only in case), that
    /// user's entry is written again under their exact key, so they stay reachable by their own value.
    private func keepLegacyEntry(
        at aliasKey: String, _ attribute: String, unlessHeldBy writer: String, in pool: UserPoolType
    ) throws {
        guard UserKey.keepsCase(attribute, in: pool), let entry = try read(Self.aliasesFolder, aliasKey),
            let key = entry["User"]?.stringValue, key != writer, let user = try user(key: key),
            let value = UserKey.aliases(of: user, in: pool)[attribute],
            UserKey.legacyAlias(attribute, value, in: pool) == aliasKey
        else { return }
        try write(Self.aliasesFolder, UserKey.alias(attribute, value, in: pool), entry)
    }

    /// Every user's stored name, sorted: ListUsers pages over these (`user(storedName:)` reads one).
    public func userStoredNames() throws -> [String] {
        try storedNames(Self.usersFolder)
    }

    /// `userStoredNames()` from the first name after `after`, `count` at most (`Store.storedNames(_:after:first:)`).
    public func userStoredNames(after: String?, first count: Int) throws -> [String] {
        try storedNames(Self.usersFolder, after: after, first: count)
    }

    /// How many users the pool has: `userStoredNames().count`, counted only when the folder changed since the last
    /// count (`Store.userCounts`).
    public func userCount() throws -> Int {
        let folder = FileLocation(directory + "/" + Self.usersFolder)
        return try store.userCounts.value(at: folder) { try FileSystem.countRecords(folder.path) } ?? 0
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

    /// The alias entry's key: `<attribute>:<NFC value>`, email addresses and preferred usernames case-folded in a
    /// case-insensitive pool. AWS: `CaseSensitive: false` "also enables both preferred_username and email alias to
    /// be case insensitive" (UsernameConfigurationType), so a case-sensitive pool matches them exactly.
    static func alias(_ attribute: String, _ value: String, in pool: UserPoolType) -> String {
        let nfc = nfc(value)
        return attribute + ":" + (keepsCase(attribute, in: pool) || !isFoldable(attribute) ? nfc : nfc.lowercased())
    }

    /// Entries of case-sensitive pools written before they kept case were folded like a case-insensitive pool's:
    /// that key, where it differs from `alias`. Lookups fall back to it (confirmed against the record, as always),
    /// removals take it too, and a write over it moves its holder to their exact key first.
    static func legacyAlias(_ attribute: String, _ value: String, in pool: UserPoolType) -> String? {
        guard keepsCase(attribute, in: pool) else { return nil }
        let nfc = nfc(value)
        let folded = nfc.lowercased()
        return folded == nfc ? nil : attribute + ":" + folded
    }

    /// Whether `attribute`'s alias values keep their case in `pool`: the case-foldable ones in a case-sensitive pool.
    static func keepsCase(_ attribute: String, in pool: UserPoolType) -> Bool {
        isFoldable(attribute) && isCaseSensitive(pool)
    }

    /// Email addresses and preferred usernames; never phone numbers or `sub`s.
    private static func isFoldable(_ attribute: String) -> Bool {
        attribute != "phone_number" && attribute != "sub"
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
