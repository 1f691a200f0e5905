import Foundation

/// Signing in, in one place for InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge and
/// AdminRespondToAuthChallenge (which differ only in how they reach the app client: `Route`), the token refresh they
/// share with GetTokensFromRefreshToken, and the lockout that ChangePassword shares with them.
///
/// ## Password sign-in (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH / ADMIN_NO_SRP_AUTH)
/// 1. Shared lock: the client allows the flow, USERNAME is there, the SecretHash (over USERNAME as sent) is right,
///    PASSWORD is there; the user is found by username, sign-in alias or `sub` (`PoolTransaction.findUser`).
/// 2. A locked user is refused at once ("Password attempts exceeded"), even with the right password.
/// 3. No lock: the password is verified (Argon2id), and when the stored hash is weaker than the configured
///    parameters a new hash of the now-proven password is made.
/// 4. Exclusive lock: the user is read again; a failure is counted (and may lock), a success clears the counters
///    and stores the new hash; then the user's state decides: tokens (issued here, signed after the lock), the
///    NEW_PASSWORD_REQUIRED challenge, or AWS's refusal. If the stored hash changed since step 1 (another worker's
///    rehash, an administrator's new password), nothing is recorded and the sign-in starts over once.
///
/// The password is checked before the user's state, so only someone who knows it learns that the user is
/// disabled, unconfirmed or must reset it. AWS documents this for disabled users ("If a user is disabled and the
/// password is incorrect, the error will also indicate that either the username or password is incorrect",
/// "Managing user existence error responses"); the other states follow the same rule here.
///
/// An unknown user is `UserNotFoundException` "User does not exist.", or under the client's
/// PreventUserExistenceErrors ENABLED "Incorrect username or password." after a verification against a dummy hash
/// at the configured cost, so the answer takes as long as a real wrong password.
///
/// ## Lockout (`Lockout`)
/// After 5 consecutive failed password checks a user is locked for 1 second, doubling with each further failure up
/// to 15 minutes. Attempts while locked are refused without checking the password and are not counted. The counters
/// live in the user's record, so every worker sees them.
///
/// ## Flows this service cannot do
/// USER_SRP_AUTH, CUSTOM_AUTH and USER_AUTH need SRP, Lambda triggers or passwordless factors, which this service
/// does not have: a client that allows them gets `InvalidParameterException` saying so and naming the password flow
/// to use; a client that does not gets "<flow> flow not enabled for this client" as for any other flow. A flow of the
/// other API (ADMIN_USER_PASSWORD_AUTH to InitiateAuth, USER_PASSWORD_AUTH to AdminInitiateAuth) is AWS's
/// "Initiate Auth method not supported".
public struct SignIn {
    /// How an operation reaches its pool and app client.
    public enum Route: Sendable {
        /// A public operation: the ClientId names the pool (`PublicClient`).
        case client(String)
        /// An IAM operation: UserPoolId, and a ClientId that must belong to that pool.
        case admin(poolId: String, clientId: String)

        var isAdmin: Bool {
            if case .admin = self { return true }
            return false
        }

        /// Runs `body` with the pool locked in `mode` and the app client read in that transaction.
        func withClient<T>(
            _ store: Store, _ mode: Store.LockMode, _ body: (PoolTransaction, UserPoolClientType) throws -> T
        ) throws -> T {
            switch self {
            case .client(let clientId):
                return try PublicClient.withClient(clientId, in: store, mode, body)
            case .admin(let poolId, let clientId):
                return try store.withPool(poolId, mode) { tx in try body(tx, try tx.client(clientId)) }
            }
        }
    }

    /// What a sign-in ends in.
    public enum Result: Sendable {
        case authenticated(AuthenticationResultType)
        case challenge(ChallengeNameType, session: String, parameters: [String: String])
    }

    // MARK: AWS's words

    public static let incorrect = AWSError.notAuthorized("Incorrect username or password.")
    public static let attemptsExceeded = AWSError.notAuthorized("Password attempts exceeded")
    static let notConfirmed = AWSError(.userNotConfirmed, "User is not confirmed.")
    static let resetRequired = AWSError(.passwordResetRequired, "Password reset required for the user")
    static let temporaryPasswordExpired = AWSError.notAuthorized(
        "Temporary password has expired and must be reset by an administrator.")
    static let methodNotSupported = AWSError.invalidParameter("Initiate Auth method not supported")

    static func missing(_ parameter: String) -> AWSError {
        .invalidParameter("Missing required parameter \(parameter)")
    }

    static func notEnabled(_ flow: AuthFlowType) -> AWSError {
        .invalidParameter("\(flow.rawValue) flow not enabled for this client")
    }

    /// An unknown user, as the client's PreventUserExistenceErrors says to answer it.
    static func unknownUser(_ client: UserPoolClientType) -> AWSError {
        client.effectivePreventUserExistenceErrors == .enabled
            ? incorrect : AWSError(.userNotFound, "User does not exist.")
    }

    let services: Services
    let route: Route

    public init(_ services: Services, _ route: Route) {
        self.services = services
        self.route = route
    }

    // MARK: Flows

    /// InitiateAuth / AdminInitiateAuth: runs `flow` with its AuthParameters.
    public func initiate(_ flow: AuthFlowType, _ parameters: [String: String]) throws -> Result {
        switch flow {
        case .userPasswordAuth where !route.isAdmin, .adminUserPasswordAuth where route.isAdmin,
            .adminNoSrpAuth where route.isAdmin:
            return try passwordSignIn(flow, parameters)
        case .refreshTokenAuth, .refreshToken:
            return .authenticated(try refresh(flow, parameters))
        case .userSrpAuth, .customAuth, .userAuth:
            try route.withClient(services.store, .shared) { _, client in try Self.checkAllowed(flow, by: client) }
            let passwordFlow = route.isAdmin ? AuthFlowType.adminUserPasswordAuth : .userPasswordAuth
            throw AWSError.invalidParameter(
                "\(flow.rawValue) is not supported by this service (it has no SRP, custom challenges or passwordless "
                    + "sign-in); sign in with \(passwordFlow.rawValue).")
        case .userPasswordAuth, .adminUserPasswordAuth, .adminNoSrpAuth:
            throw Self.methodNotSupported
        }
    }

    /// The ALLOW_ flag a client needs for `flow`; `allowedAuthFlows` has already turned legacy names into these.
    static func requirement(of flow: AuthFlowType) -> ExplicitAuthFlowsType {
        switch flow {
        case .userPasswordAuth: return .allowUserPasswordAuth
        case .adminUserPasswordAuth, .adminNoSrpAuth: return .allowAdminUserPasswordAuth
        case .refreshTokenAuth, .refreshToken: return .allowRefreshTokenAuth
        case .userSrpAuth: return .allowUserSrpAuth
        case .customAuth: return .allowCustomAuth
        case .userAuth: return .allowUserAuth
        }
    }

    static func checkAllowed(_ flow: AuthFlowType, by client: UserPoolClientType) throws(AWSError) {
        guard client.allowedAuthFlows.contains(requirement(of: flow)) else { throw notEnabled(flow) }
    }

    // MARK: Password

    /// What the locked section of a sign-in decided; tokens are signed and sessions sealed after the lock.
    private enum Step {
        case tokens(UnsignedTokens)
        case challenge(AuthSession, parameters: [String: String])
        case refused(AWSError)
        /// The stored hash changed between the check and the lock (a concurrent sign-in rehashed it, an
        /// administrator set a new password): check again against the new one.
        case again
    }

    private func passwordSignIn(
        _ flow: AuthFlowType, _ parameters: [String: String], retry: Bool = true
    ) throws -> Result {
        let store = services.store
        let now = services.clock.now()
        let password = parameters["PASSWORD"] ?? ""
        let (client, found) = try route.withClient(store, .shared) { tx, client in
            try Self.checkAllowed(flow, by: client)
            guard let username = parameters["USERNAME"], !username.isEmpty else { throw Self.missing("USERNAME") }
            try PublicClient.checkSecretHash(parameters["SECRET_HASH"], username: username, client: client)
            guard parameters["PASSWORD"] != nil else { throw Self.missing("PASSWORD") }
            let pool = try tx.pool()
            let found = try tx.findUser(username, in: pool)
            // Under ENABLED an unknown name is locked out as a user would be (`UnknownNames`).
            if found == nil && client.effectivePreventUserExistenceErrors == .enabled {
                try services.unknownNames.signInFailure(
                    for: username, in: pool, poolId: tx.poolId, now: now, services: services)
            }
            return (client, found)
        }
        guard let user = found, let stored = user.passwordHash else {
            // The same work as a wrong password, so that the time taken does not tell who exists.
            _ = services.passwords.verify(password, against: dummyHash)
            throw found == nil ? Self.unknownUser(client) : Self.incorrect
        }
        if Lockout.isLocked(user, now: now) { throw Self.attemptsExceeded }

        let correct = services.passwords.verify(password, against: stored)
        let rehashed =
            correct && services.passwords.needsRehash(stored)
            ? try services.passwords.hash(password, random: services.random) : nil

        // Only the user's own record changes (failed attempts, refresh tokens, a rehash): that user's lock and the
        // pool's LOCK_SH, so sign-ins of other users and every reader of the pool go on meanwhile (Store.LockMode).
        let step = try route.withClient(store, .oneUser) { tx, client -> Step in
            try Self.checkAllowed(flow, by: client)
            let pool = try tx.pool()
            return try tx.withUserLock(of: user.username, in: pool) { tx in
                guard let current = try tx.user(named: user.username, in: pool), current.sub == user.sub else {
                    return .refused(Self.unknownUser(client))
                }
                guard current.passwordHash == stored else { return retry ? .again : .refused(Self.incorrect) }
                guard !Lockout.isLocked(current, now: now) else { return .refused(Self.attemptsExceeded) }
                var changed = current
                Lockout.record(correct, on: &changed, now: now)
                let step: Step
                if correct {
                    if let rehashed { changed.passwordHash = rehashed }
                    step = try afterPassword(&changed, poolId: tx.poolId, pool: pool, client: client, now: now)
                } else {
                    step = .refused(Self.incorrect)
                }
                if changed != current { try tx.saveUser(changed, previous: current, in: pool) }
                return step
            }
        }
        switch step {
        case .again: return try passwordSignIn(flow, parameters, retry: false)
        case .refused(let error): throw error
        case .tokens(let unsigned): return .authenticated(try unsigned.sign(services))
        case .challenge(let session, let parameters):
            return .challenge(session.challenge, session: try session.sealed(services), parameters: parameters)
        }
    }

    /// What a correct password leads to, by the user's state.
    private func afterPassword(
        _ user: inout UserRecord, poolId: String, pool: UserPoolType, client: UserPoolClientType, now: Date
    ) throws -> Step {
        guard user.enabled else { return .refused(TokenCheck.userDisabled) }
        switch user.status {
        case .confirmed:
            return .tokens(try TokenIssuer(services).signIn(pool: pool, client: client, user: &user))
        case .forceChangePassword:
            if let expires = user.temporaryPasswordExpires, now >= expires {
                return .refused(Self.temporaryPasswordExpired)
            }
            let session = AuthSession(
                challenge: .newPasswordRequired, user: user, poolId: poolId, client: client, now: now)
            return .challenge(session, parameters: Self.newPasswordParameters(user, pool: pool))
        case .unconfirmed:
            return .refused(Self.notConfirmed)
        case .resetRequired:
            return .refused(Self.resetRequired)
        case .archived, .compromised, .unknown, .externalProvider:
            // States this service never gives a user; none of them signs in with a password.
            return .refused(Self.incorrect)
        }
    }

    /// A well-formed hash at the configured cost that no password matches (its digest is all zero bytes):
    /// verifying against it costs what a real verification costs.
    var dummyHash: String {
        let c = services.passwords.configuration
        return "$argon2id$v=19$m=\(c.memoryKiB),t=\(c.iterations),p=\(c.parallelism)$"
            + String(repeating: "A", count: 22) + "$" + String(repeating: "A", count: 43)
    }

    // MARK: Refresh

    /// How a token refresh shows that it comes from the app client.
    enum RefreshProof {
        /// REFRESH_TOKEN_AUTH's SECRET_HASH, computed over the user's stored username (or `sub`).
        case secretHash(String?)
        /// GetTokensFromRefreshToken's ClientSecret: the secret itself.
        case clientSecret(String?)
    }

    /// REFRESH_TOKEN_AUTH: new access and ID tokens from a refresh token (`RefreshTokens.validate`). The SecretHash of
    /// a refresh is computed, as AWS has it, over the user's username as the pool stores it (in a pool that signs in
    /// by email that is the generated id, which is also the `sub`), not over what the user typed at sign-in; the
    /// `sub` is accepted too. A client that rotates refresh tokens refuses this flow: "Refresh token rotation must
    /// be completed with GetTokensFromRefreshToken. With refresh token rotation disabled, you can complete token
    /// refresh with GetTokensFromRefreshToken and with REFRESH_TOKEN_AUTH" (RefreshTokenRotationType). AWS does not
    /// document the error; it is the one of any flow the client does not allow.
    private func refresh(_ flow: AuthFlowType, _ parameters: [String: String]) throws -> AuthenticationResultType {
        try renew(parameters["REFRESH_TOKEN"], proof: .secretHash(parameters["SECRET_HASH"]), flow: flow)
    }

    /// GetTokensFromRefreshToken: new access and ID tokens, and a new refresh token when the client rotates them
    /// (the submitted one then stays valid for the client's RetryGracePeriodSeconds, then no more).
    public func tokens(fromRefreshToken token: String, clientSecret: String?) throws -> AuthenticationResultType {
        try renew(token, proof: .clientSecret(clientSecret), flow: nil)
    }

    /// A token refresh: by REFRESH_TOKEN_AUTH when `flow` is given, else by GetTokensFromRefreshToken.
    private func renew(_ token: String?, proof: RefreshProof, flow: AuthFlowType?) throws -> AuthenticationResultType {
        // Refreshing writes only when the client rotates refresh tokens: a shared lock otherwise, and then the user's
        // lock (a `.oneUser` change: only their record is written), the token validated again under it.
        func attempt(_ mode: Store.LockMode) throws -> UnsignedTokens? {
            try route.withClient(services.store, mode) { tx, client in
                let rotates = client.refreshTokenRotation?.feature == .enabled
                if let flow {
                    try Self.checkAllowed(flow, by: client)
                    if rotates { throw Self.notEnabled(flow) }
                }
                guard let token, !token.isEmpty else { throw Self.missing("REFRESH_TOKEN") }
                switch proof {
                case .secretHash(let secretHash):
                    if client.clientSecret != nil && (secretHash ?? "").isEmpty {
                        try PublicClient.checkSecretHash(nil, username: "", client: client)
                    }
                case .clientSecret(let secret):
                    try PublicClient.checkClientSecret(secret, client: client)
                }
                let pool = try tx.pool()
                func issue(_ tx: PoolTransaction) throws -> UnsignedTokens? {
                    if case .secretHash(let secretHash) = proof {
                        try checkSecretHash(secretHash, token: token, client: client, tx, pool)
                    }
                    var (user, record) = try RefreshTokens.validate(
                        token, clientId: client.clientId ?? "", in: tx, pool: pool, services: services)
                    // As for access tokens (`VerifiedToken.confirm`): a reset password ends what it opened.
                    guard user.status != .resetRequired else { throw Self.resetRequired }
                    if rotates && mode == .shared { return nil }
                    let old = user
                    let unsigned = try TokenIssuer(services).refresh(
                        pool: pool, client: client, user: &user, from: record)
                    if unsigned.userChanged { try tx.saveUser(user, previous: old, in: pool) }
                    return unsigned
                }
                guard mode == .oneUser else { return try issue(tx) }
                let holder = try RefreshTokens.validate(
                    token, clientId: client.clientId ?? "", in: tx, pool: pool, services: services
                ).user
                return try tx.withUserLock(of: holder.username, in: pool) { tx in try issue(tx) }
            }
        }
        guard let unsigned = try attempt(.shared) ?? attempt(.oneUser) else { throw AWSError.internalError }
        return try unsigned.sign(services)
    }

    /// REFRESH_TOKEN_AUTH's SECRET_HASH, over the username or the `sub` of the user the token names (AWS's SDKs use
    /// either), checked before the token itself: a caller without the client's secret learns nothing of a token's
    /// state (live, revoked or unknown all answer the secret's error).
    private func checkSecretHash(
        _ secretHash: String?, token: String, client: UserPoolClientType, _ tx: PoolTransaction, _ pool: UserPoolType
    ) throws {
        let location = RefreshTokens.locate(token, secret: services.store.secret)
        do {
            try PublicClient.checkSecretHash(secretHash, username: location?.username ?? "", client: client)
        } catch {
            guard let location, location.poolId == tx.poolId, let user = try tx.user(named: location.username, in: pool)
            else { throw error }
            try PublicClient.checkSecretHash(secretHash, username: user.sub, client: client)
        }
    }

    // MARK: NEW_PASSWORD_REQUIRED

    /// The challenge's parameters, as AWS shapes them: `USER_ID_FOR_SRP` (the stored username), `requiredAttributes`
    /// (a JSON array of `userAttributes.<name>` for each required attribute the user lacks) and `userAttributes` (a
    /// JSON object of the user's attributes, the `*_verified` flags included as AWS shows them, without `sub` and
    /// developer-only attributes).
    static func newPasswordParameters(_ user: UserRecord, pool: UserPoolType) -> [String: String] {
        let required = missingRequired(user.attributes, in: pool).map { JSON.string("userAttributes." + $0) }
        let shown = user.attributes.filter { $0.key != "sub" && !$0.key.hasPrefix("dev:") }
        return [
            "USER_ID_FOR_SRP": user.username,
            "requiredAttributes": JSON.array(required).serializedString(),
            "userAttributes": JSON.object(shown.mapValues(JSON.string)).serializedString(),
        ]
    }

    /// The pool's required attributes (but `sub`) that `attributes` has no value for, sorted.
    static func missingRequired(_ attributes: [String: String], in pool: UserPoolType) -> [String] {
        (pool.schemaAttributes ?? []).compactMap { a -> String? in
            guard a.required == true, let name = a.name, name != "sub", (attributes[name] ?? "").isEmpty else {
                return nil
            }
            return name
        }.sorted()
    }

    /// RespondToAuthChallenge / AdminRespondToAuthChallenge. Only NEW_PASSWORD_REQUIRED exists here; its answer is
    /// `USERNAME`, `NEW_PASSWORD`, `SECRET_HASH` (clients with a secret) and `userAttributes.<name>` for the required
    /// attributes the user lacks (others the client may write are accepted too). The session, the user and the
    /// password policy are checked under a shared lock; the password history (`PasswordHistory`: the temporary
    /// password counts) is checked and the new password hashed outside any lock; and the checks run again under the
    /// user's lock (the pool's exclusive lock when an answered attribute moves an alias) before the user becomes
    /// CONFIRMED and gets tokens. A history that grew meanwhile (a larger PasswordHistorySize) is checked again once.
    public func respond(
        to challenge: ChallengeNameType, responses: [String: String], session: String?, retry: Bool = true
    ) throws -> AuthenticationResultType {
        let store = services.store
        let now = services.clock.now()
        let given = Self.attributeAnswers(responses)
        let newPassword = responses["NEW_PASSWORD"] ?? ""
        let history = try route.withClient(store, .shared) { tx, client in
            let (pool, user, _) = try checkAnswer(
                challenge, responses, session, given: given, tx: tx, client: client, now: now)
            return PasswordHistory(of: user, policy: PasswordPolicy(pool.policies?.passwordPolicy))
        }
        try history.check(newPassword, with: services.passwords)
        let hash = try services.passwords.hash(newPassword, random: services.random)
        let change = { (tx: PoolTransaction, client: UserPoolClientType) throws -> (UnsignedTokens, [Message])? in
            let (pool, user, outcome) = try checkAnswer(
                challenge, responses, session, given: given, tx: tx, client: client, now: now)
            // A password set meanwhile has already ended the session (`AuthSession.matches`); a larger history
            // size has not.
            let policy = PasswordPolicy(pool.policies?.passwordPolicy)
            guard history.covers(PasswordHistory(of: user, policy: policy)) else { return nil }
            var changed = outcome.user
            changed.setPassword(hash, historySize: policy.passwordHistorySize)
            changed.status = .confirmed
            changed.temporaryPasswordExpires = nil
            changed.modified = now
            Lockout.record(true, on: &changed, now: now)
            let unsigned = try TokenIssuer(services).signIn(pool: pool, client: client, user: &changed)
            try AttributeUpdate.save(changed, previous: user, in: pool, tx)
            return (unsigned, outcome.messages)
        }
        // Under the user's lock (`.oneUser`): only their record is written, unless an answered attribute moves a
        // sign-in alias entry, and then the store runs `change` again under the pool's LOCK_EX. The user is looked up
        // once to learn whose lock to take; a lookup that fails leaves the answer to `checkAnswer`'s own checks, in
        // their order (without the user's lock, a write could only escalate).
        let locked = try route.withClient(store, .oneUser) { tx, client -> (UnsignedTokens, [Message])? in
            guard let username = responses["USERNAME"], !username.isEmpty, let pool = try? tx.pool(),
                let found = (try? tx.findUser(username, in: pool)) ?? nil
            else { return try change(tx, client) }
            return try tx.withUserLock(of: found.username, in: pool) { tx in try change(tx, client) }
        }
        guard let (unsigned, messages) = locked else {
            guard retry else { throw PasswordHistory.changedMeanwhile }
            return try respond(to: challenge, responses: responses, session: session, retry: false)
        }
        // Verification codes for a changed email or phone number: after the write. A failed delivery does not undo a
        // sign-in that is already durable; the user can ask for the code again.
        do {
            _ = try AttributeUpdate.deliver(messages, services: services)
        } catch {
            services.logger.error(
                "verification code delivery failed after NEW_PASSWORD_REQUIRED", metadata: ["error": "\(error)"])
        }
        return try unsigned.sign(services)
    }

    /// Every check of a NEW_PASSWORD_REQUIRED answer, in a transaction of either mode; returns the pool, the user as
    /// read and the user with the answered attributes applied (not yet saved).
    private func checkAnswer(
        _ challenge: ChallengeNameType, _ responses: [String: String], _ sessionText: String?, given: [AttributeType],
        tx: PoolTransaction, client: UserPoolClientType, now: Date
    ) throws -> (UserPoolType, UserRecord, AttributeUpdate.Outcome) {
        guard challenge == .newPasswordRequired else {
            throw AWSError.invalidParameter(
                "The challenge \(challenge.rawValue) is not supported by this service; "
                    + "it asks only NEW_PASSWORD_REQUIRED.")
        }
        guard let username = responses["USERNAME"], !username.isEmpty else { throw Self.missing("USERNAME") }
        try PublicClient.checkSecretHash(responses["SECRET_HASH"], username: username, client: client)
        let session = try AuthSession.check(
            sessionText, poolId: tx.poolId, clientId: client.clientId ?? "", challenge: challenge,
            secret: services.store.secret, now: now)
        guard let newPassword = responses["NEW_PASSWORD"] else { throw Self.missing("NEW_PASSWORD") }
        let pool = try tx.pool()
        guard let user = try tx.findUser(username, in: pool) else { throw Self.unknownUser(client) }
        guard user.sub == session.sub else { throw AuthSession.invalid }
        guard user.enabled else { throw TokenCheck.userDisabled }
        guard user.status == .forceChangePassword, session.matches(user) else { throw AuthSession.used }
        try PasswordPolicy(pool.policies?.passwordPolicy).validate(newPassword, wording: .newPassword)
        let outcome = try Self.applyAttributeAnswers(
            given, to: user, pool: pool, client: client, now: now, services: services)
        return (pool, user, outcome)
    }

    /// The `userAttributes.<name>` members of a challenge answer, sorted by name.
    static func attributeAnswers(_ responses: [String: String]) -> [AttributeType] {
        let prefix = "userAttributes."
        return responses.filter { $0.key.hasPrefix(prefix) && $0.key.count > prefix.count }
            .map { AttributeType(name: String($0.key.dropFirst(prefix.count)), value: $0.value) }
            .sorted { $0.name < $1.name }
    }

    /// `user` with the answered attributes, checked as AWS checks them:
    /// - an attribute the user already has a value for may not be given again when it is immutable or one of the
    ///   pool's username attributes: `NotAuthorizedException` "Cannot modify an already provided <name>" (reported
    ///   verbatim by users of the real service for `email`);
    /// - the schema's rules (`UserAttributes.validate`), then the client's WriteAttributes (`mayWrite`);
    /// - mutable attributes change as an attribute update does (`AttributeUpdate.apply`: a new email or phone number
    ///   is unverified and, when auto-verified, gets a code); immutable ones the user lacks are set once;
    /// - afterwards every required attribute has a value, else `InvalidParameterException` "Invalid attributes given,
    ///   <name> is missing" (AWS's wording).
    static func applyAttributeAnswers(
        _ given: [AttributeType], to user: UserRecord, pool: UserPoolType, client: UserPoolClientType, now: Date,
        services: Services
    ) throws -> AttributeUpdate.Outcome {
        let usernameAttributes = Set((pool.usernameAttributes ?? []).map(\.rawValue))
        let immutable = { (name: String) in UserAttributes.definition(of: name, in: pool)?.mutable == false }
        for attribute in given where !(user.attributes[attribute.name] ?? "").isEmpty {
            if immutable(attribute.name) || usernameAttributes.contains(attribute.name) {
                throw AWSError.notAuthorized("Cannot modify an already provided \(attribute.name)")
            }
        }
        let once = try UserAttributes.validate(given.filter { immutable($0.name) }, in: pool, mode: .create)
        let changes = try AttributeUpdate.Changes(given.filter { !immutable($0.name) }, in: pool)
        for name in Array(once.keys) + Array(changes.values.keys) + changes.deletions
        where !client.mayWrite(name, pool: pool) {
            throw UserCreation.unauthorizedAttribute
        }
        var base = user
        base.attributes.merge(once) { _, new in new }
        let outcome = try AttributeUpdate.apply(
            changes, to: base, in: pool, now: now, random: services.random, secret: services.store.secret)
        if let name = missingRequired(outcome.user.attributes, in: pool).first {
            throw AWSError.invalidParameter("Invalid attributes given, \(name) is missing")
        }
        return outcome
    }
}

// MARK: - Lockout

extension SignIn {
    /// Consecutive failed password checks and the lockout they cause (`UserRecord.failedSignIns`, `lockedUntil`).
    /// The caller saves the user under the pool's exclusive lock.
    public enum Lockout {
        /// Failures allowed before the first lockout.
        public static let threshold = 5
        /// The longest lockout.
        public static let longest: TimeInterval = 15 * 60

        /// The counters a lockout keeps: a user's record, or an unknown name's (`UnknownNames`).
        public protocol State {
            var failedSignIns: Int { get set }
            var lockedUntil: Date? { get set }
        }

        public static func isLocked(_ state: some State, now: Date) -> Bool {
            state.lockedUntil.map { now < $0 } ?? false
        }

        /// How long the `failures`-th consecutive failure locks the user: nothing before the 5th, then 1 s, 2 s, 4 s,
        /// ... up to 15 minutes.
        public static func duration(afterFailures failures: Int) -> TimeInterval? {
            guard failures >= threshold else { return nil }
            return min(TimeInterval(1 << min(failures - threshold, 20)), longest)
        }

        /// Records a password check: a success clears the counters, a failure counts and may lock.
        public static func record(_ correct: Bool, on state: inout some State, now: Date) {
            if correct {
                state.failedSignIns = 0
                state.lockedUntil = nil
                return
            }
            state.failedSignIns += 1
            if let duration = duration(afterFailures: state.failedSignIns) {
                state.lockedUntil = now + duration
            }
        }
    }
}

extension UserRecord: SignIn.Lockout.State {}
