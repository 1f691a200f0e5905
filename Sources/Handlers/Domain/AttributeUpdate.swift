import Foundation

/// Changing and deleting an existing user's attributes, in one place for AdminUpdateUserAttributes,
/// UpdateUserAttributes, AdminDeleteUserAttributes and DeleteUserAttributes (and the verification step that
/// VerifyUserAttribute shares with an admin's `*_verified=true`).
///
/// The rules, from AWS's API reference for these operations and for `UserAttributeUpdateSettingsType`:
/// - Attributes are checked against the pool's schema (`UserAttributes.validate`, mode `.update`). A blank value
///   deletes the attribute ("To delete an attribute from your user, submit the attribute in your API request with
///   a blank value"), checked as a deletion (`UserAttributes.validateDeletion`).
/// - A new `email` or `phone_number` value is unverified: its `*_verified` flag becomes `"false"`, and when the
///   attribute is in the pool's AutoVerifiedAttributes a verification code (`CodePurpose.attribute`, 24 hours) is
///   sent to the new value once the change is durable. Setting a value equal to the current one changes nothing,
///   except that it withdraws a new value still waiting for verification (below).
///   A code pending for the old value is dropped even when no new code is sent: it must not verify the new value.
/// - With the attribute in `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate` and a verified
///   current value, the current value stays active (the user signs in and receives messages with it) and the new
///   one waits in `UserRecord.pendingAttributes` until it is verified; the code goes to the new value. A current
///   value that is missing or unverified protects nothing, so the change then applies at once.
/// - A request that also sets the flag to `"true"` (only an administrator can: no app client may write the
///   `*_verified` flags) applies the new value at once, verified, and sends nothing ("If you set the
///   email_verified or phone_number_verified value ... to true, Amazon Cognito doesn't send a verification
///   message"). The flag set to `"true"` on its own verifies a pending value ("You can verify an updated email
///   address or phone number with a VerifyUserAttribute API request. You can also call the
///   AdminUpdateUserAttributes API and set email_verified or phone_number_verified to true"), else the current one.
/// - Deleting `email` or `phone_number` also removes its flag, a pending new value and a pending code.
/// - A value that another user holds as a sign-in alias is `AliasExistsException` ("An account with the given
///   email already exists."); AdminUpdateUserAttributes has no ForceAliasCreation in the model, so there is no
///   taking it over here. `PoolTransaction.saveUser` moves the alias entries.
public enum AttributeUpdate {
    /// A verifiable attribute: its flag and the medium its codes go by.
    struct Verifiable {
        let flag: String
        let medium: DeliveryMediumType
    }

    static let verifiable: [String: Verifiable] = [
        "email": Verifiable(flag: "email_verified", medium: .email),
        "phone_number": Verifiable(flag: "phone_number_verified", medium: .sms),
    ]

    /// A user's changed record and the verification messages to deliver once it is durable.
    public struct Outcome: Sendable {
        public var user: UserRecord
        public var messages: [Message]
    }

    // MARK: Whole operations

    /// Whose attributes change, named as the request names them.
    public enum Subject: Sendable {
        /// An administrator's request: the user `username` of pool `poolId` (ResourceNotFoundException and
        /// UserNotFoundException when either is missing).
        case user(String, poolId: String)
        /// The signed-in user of an access token whose signature and expiry are verified. The rest of the check
        /// (client, user, sign-outs) runs first in the change's own transaction, so a refused token is answered
        /// before anything in the request is looked at, as AWS does; a pool deleted since the token was verified
        /// is a bad token, not ResourceNotFoundException. The attributes named must be ones the token's client may
        /// write (its WriteAttributes; `sub` and the `*_verified` flags never), else NotAuthorizedException.
        case signedIn(VerifiedToken)

        /// A `.oneUser` transaction on the subject's pool, the token confirmed first when there is one.
        func transaction<T>(_ services: Services, _ body: (PoolTransaction) throws -> T) throws -> T {
            switch self {
            case .user(_, let poolId):
                return try services.store.withPool(poolId, .oneUser, body)
            case .signedIn(let token):
                return try TokenCheck.withPool(token.poolId, services, .oneUser) { tx in
                    _ = try token.confirm(in: tx)
                    return try body(tx)
                }
            }
        }

        /// Whose lock the change takes: the administrator's user as `tx` finds it, or the token's user, whom
        /// `transaction` has just confirmed.
        func username(_ tx: PoolTransaction, _ pool: UserPoolType) throws -> String {
            switch self {
            case .user(let username, _): return try tx.existingUser(username, in: pool).username
            case .signedIn(let token): return token.username
            }
        }

        /// The subject's record as `tx` reads it under the user's lock, allowed to change the attributes `names`.
        func find(writing names: [String], _ tx: PoolTransaction, _ pool: UserPoolType) throws -> UserRecord {
            switch self {
            case .user(let username, _):
                return try tx.existingUser(username, in: pool)
            case .signedIn(let token):
                let access = try token.confirm(in: tx)
                for name in names where !access.client.mayWrite(name, pool: pool) {
                    throw UserCreation.unauthorizedAttribute
                }
                return access.user
            }
        }
    }

    /// Updates `subject`'s attributes: validates, applies and saves, then delivers the verification codes. Returns
    /// where they went, as `CodeDeliveryDetailsList` reports it (empty when nothing was sent).
    ///
    /// Most changes touch the user's record alone, so the change is made as a `.oneUser` transaction: under the
    /// user's own lock, and updates of different users do not queue behind each other's fsyncs. One that moves an
    /// alias entry (a new email in a pool that signs in with it, say) is made again under the pool's exclusive lock.
    /// The user is named once to learn whose lock to take, and found under it.
    public static func update(
        _ attributes: [AttributeType], of subject: Subject, services: Services
    ) throws -> [CodeDeliveryDetailsType] {
        let now = services.clock.now()
        let names = attributes.map(\.name)
        let messages = try subject.transaction(services) { tx -> [Message] in
            let pool = try tx.pool()
            let changes = try Changes(attributes, in: pool)
            return try tx.withUserLock(of: try subject.username(tx, pool), in: pool) { tx in
                let user = try subject.find(writing: names, tx, pool)
                let change = try apply(
                    changes, to: user, in: pool, now: now, random: services.random, secret: services.store.secret)
                guard change.user != user else { return [] }
                try save(change.user, previous: user, in: pool, tx)
                return change.messages
            }
        }
        return try deliver(messages, services: services)
    }

    /// Deletes the attributes `names` from `subject`: as `update`, under the user's lock, and again under the pool's
    /// exclusive lock when a deleted attribute was a sign-in alias (its entry goes too).
    public static func delete(_ names: [String], of subject: Subject, services: Services) throws {
        let now = services.clock.now()
        try subject.transaction(services) { tx in
            let pool = try tx.pool()
            try UserAttributes.validateDeletion(names, in: pool)
            try tx.withUserLock(of: try subject.username(tx, pool), in: pool) { tx in
                let user = try subject.find(writing: names, tx, pool)
                var changed = user
                for name in names { remove(name, from: &changed) }
                guard changed != user else { return }
                changed.modified = now
                try save(changed, previous: user, in: pool, tx)
            }
        }
    }

    // MARK: Steps

    /// A validated request: values to set and names to delete.
    public struct Changes: Sendable, Equatable {
        public var values: [String: String]
        public var deletions: [String]

        /// Checks `attributes` against `pool`'s schema; blank values are deletions.
        public init(_ attributes: [AttributeType], in pool: UserPoolType) throws(AWSError) {
            // The last entry for a name decides (AWS applies them in order): set, or blank and deleted.
            var last: [String: String] = [:]
            for attribute in attributes { last[attribute.name] = attribute.value ?? "" }
            let blank = Set(last.filter { $0.value.isEmpty }.keys)
            let set = attributes.filter { !blank.contains($0.name) }
            values = try UserAttributes.validate(set, in: pool, mode: .update)
            deletions = blank.sorted()
            try UserAttributes.validateDeletion(deletions, in: pool)
        }
    }

    /// `user` with `changes` applied, and the codes it needs sent. Pure: the caller saves and delivers.
    public static func apply(
        _ changes: Changes, to user: UserRecord, in pool: UserPoolType, now: Date, random: any RandomSource,
        secret: [UInt8]
    ) throws(AWSError) -> Outcome {
        var new = user
        var toVerify: [(attribute: String, destination: String)] = []
        let autoVerified = Set((pool.autoVerifiedAttributes ?? []).map(\.rawValue))
        let keepCurrent = Set(
            (pool.userAttributeUpdateSettings?.attributesRequireVerificationBeforeUpdate ?? []).map(\.rawValue))

        for name in changes.deletions { remove(name, from: &new) }
        let flags = Set(verifiable.values.map(\.flag))
        for (name, value) in changes.values where verifiable[name] == nil && !flags.contains(name) {
            new.attributes[name] = value
        }
        for (name, kind) in verifiable.sorted(by: { $0.key < $1.key }) {
            // Deleted in this request: its flag went with it, whatever the request says of the flag.
            if changes.deletions.contains(name) { continue }
            let flag = changes.values[kind.flag]
            guard let value = changes.values[name], value != user.attributes[name] else {
                // The current value given again withdraws a change waiting for verification.
                if changes.values[name] != nil, new.pendingAttributes[name] != nil {
                    new.pendingAttributes[name] = nil
                    new.codes[CodePurpose.attribute(name).key] = nil
                }
                // No new value: the flag speaks of the pending value if there is one, else of the current one.
                if flag == "true" {
                    markVerified(name, in: &new)
                } else if let flag {
                    new.attributes[kind.flag] = flag
                }
                continue
            }
            let code = CodePurpose.attribute(name).key
            if flag == "true" {
                new.attributes[name] = value
                new.attributes[kind.flag] = "true"
                new.pendingAttributes[name] = nil
                new.codes[code] = nil
            } else if keepCurrent.contains(name), user.attributes[name] != nil, user.attributes[kind.flag] == "true" {
                new.pendingAttributes[name] = value
                toVerify.append((name, value))
            } else {
                new.attributes[name] = value
                new.attributes[kind.flag] = "false"
                new.pendingAttributes[name] = nil
                new.codes[code] = nil
                if autoVerified.contains(name) { toVerify.append((name, value)) }
            }
        }

        var messages: [Message] = []
        for (name, destination) in toVerify {
            guard let kind = verifiable[name] else { continue }
            let code = try VerificationCode.issue(
                .attribute(name), in: &new.codes, now: now, random: random, secret: secret, request: .counted)
            messages.append(
                MessageTemplates.verificationMessage(
                    pool: pool, kind: .updateUserAttribute, medium: kind.medium, destination: destination,
                    attributeName: name, code: code, username: UserCreation.signInName(of: user, in: pool), date: now))
        }
        if new != user { new.modified = now }
        return Outcome(user: new, messages: messages)
    }

    /// Marks `attribute` (`email` or `phone_number`) verified: a pending new value becomes the current one, and a
    /// pending code for it is used up. VerifyUserAttribute calls this after a correct code; then `save`.
    public static func markVerified(_ attribute: String, in user: inout UserRecord) {
        guard let kind = verifiable[attribute] else { return }
        if let pending = user.pendingAttributes[attribute] {
            user.attributes[attribute] = pending
            user.pendingAttributes[attribute] = nil
        }
        user.attributes[kind.flag] = "true"
        user.codes[CodePurpose.attribute(attribute).key] = nil
    }

    /// Removes `name`; for `email`/`phone_number` also its flag, a pending new value and a pending code.
    static func remove(_ name: String, from user: inout UserRecord) {
        user.attributes[name] = nil
        guard let kind = verifiable[name] else { return }
        user.attributes[kind.flag] = nil
        user.pendingAttributes[name] = nil
        user.codes[CodePurpose.attribute(name).key] = nil
    }

    /// Saves `user` over `previous` and moves its alias entries, unless one of its alias values belongs to
    /// another user: then `AliasExistsException` and nothing is written.
    public static func save(_ user: UserRecord, previous: UserRecord, in pool: UserPoolType, _ tx: PoolTransaction)
        throws
    {
        if let taken = try tx.aliasConflicts(for: user, in: pool).first {
            throw AWSError(.aliasExists, UserCreation.takenMessage(taken))
        }
        try tx.saveUser(user, previous: previous, in: pool)
    }

    /// Delivers `messages` (after the write is durable, outside any lock) and reports where they went.
    public static func deliver(_ messages: [Message], services: Services) throws(AWSError)
        -> [CodeDeliveryDetailsType]
    {
        for message in messages { try services.sender.send(message) }
        return messages.map(\.deliveryDetails)
    }
}

// MARK: - Finding and changing one user
