/// A user pool's password rules, checked wherever a password is set, with AWS's `InvalidPasswordException`
/// wording.
///
/// What counts, from AWS's "Adding user pool password requirements": uppercase and lowercase are Basic Latin
/// letters (A–Z, a–z), numbers are 0–9, and symbols are the 32 characters of `symbolCharacters` plus a
/// non-leading, non-trailing space. Any other character (é, Ω, emoji) is allowed and counts toward the length,
/// but satisfies no requirement.
///
/// Length counts UTF-16 code units, as Java's `String.length()` does on AWS's side and as the model validator
/// counts `PasswordType`'s maximum of 256; an astral character such as an emoji counts as two.
///
/// `PasswordHistorySize` is carried here but checked by `PasswordHistory`: it needs the user's earlier password hashes
/// (`UserRecord.previousPasswordHashes`) and an Argon2id verification per hash, which the operations that set
/// passwords run outside the store's locks.
public struct PasswordPolicy: Sendable, Equatable {
    public var minimumLength: Int
    public var requireUppercase: Bool
    public var requireLowercase: Bool
    public var requireNumbers: Bool
    public var requireSymbols: Bool
    public var temporaryPasswordValidityDays: Int
    public var passwordHistorySize: Int

    public init(
        minimumLength: Int = 8, requireUppercase: Bool = true, requireLowercase: Bool = true,
        requireNumbers: Bool = true, requireSymbols: Bool = true, temporaryPasswordValidityDays: Int = 7,
        passwordHistorySize: Int = 0
    ) {
        self.minimumLength = minimumLength
        self.requireUppercase = requireUppercase
        self.requireLowercase = requireLowercase
        self.requireNumbers = requireNumbers
        self.requireSymbols = requireSymbols
        self.temporaryPasswordValidityDays = temporaryPasswordValidityDays
        self.passwordHistorySize = passwordHistorySize
    }

    /// The pool's stored policy. No policy at all is AWS's default; within a given policy a missing requirement
    /// is off, a missing minimum length is 8 and a missing or 0 validity is 7 days (as `PoolSettings` stores it).
    public init(_ type: PasswordPolicyType?) {
        guard let type else {
            self = .defaultPolicy
            return
        }
        let days = type.temporaryPasswordValidityDays ?? 0
        self.init(
            minimumLength: type.minimumLength ?? 8, requireUppercase: type.requireUppercase ?? false,
            requireLowercase: type.requireLowercase ?? false, requireNumbers: type.requireNumbers ?? false,
            requireSymbols: type.requireSymbols ?? false, temporaryPasswordValidityDays: days == 0 ? 7 : days,
            passwordHistorySize: type.passwordHistorySize ?? 0)
    }

    /// AWS's default for a pool created without a policy: at least 8 characters, all four character classes
    /// required, temporary passwords valid for 7 days.
    public static var defaultPolicy: PasswordPolicy { PasswordPolicy() }

    /// The policy as the API shape (`DescribeUserPool`'s `Policies.PasswordPolicy`).
    public var shape: PasswordPolicyType {
        PasswordPolicyType(
            minimumLength: minimumLength, requireUppercase: requireUppercase, requireLowercase: requireLowercase,
            requireNumbers: requireNumbers, requireSymbols: requireSymbols,
            passwordHistorySize: passwordHistorySize == 0 ? nil : passwordHistorySize,
            temporaryPasswordValidityDays: temporaryPasswordValidityDays)
    }

    // MARK: - Checking

    /// AWS words the same failure differently depending on the operation (all three reported verbatim by users of
    /// the real service); the rule text after the colon is the same.
    public enum Wording: Sendable, CaseIterable {
        /// SignUp: `Password did not conform with policy: ...`.
        case signUp
        /// AdminCreateUser's TemporaryPassword: `Password did not conform with password policy: ...`.
        case adminCreateUser
        /// A password being changed or reset — ChangePassword, ConfirmForgotPassword, the NEW_PASSWORD_REQUIRED
        /// challenge: `Password does not conform to policy: ...`. No report was found for AdminSetUserPassword;
        /// this is the likelier wording for it (it is a set-password path, not a create path).
        case newPassword

        public var prefix: String {
            switch self {
            case .signUp: return "Password did not conform with policy: "
            case .adminCreateUser: return "Password did not conform with password policy: "
            case .newPassword: return "Password does not conform to policy: "
            }
        }
    }

    /// One requirement, in the order they are checked. Only the first one broken is reported, as AWS does.
    public enum Rule: Sendable, CaseIterable, Equatable {
        /// No leading or trailing whitespace (AWS's server-side pattern `^\S.*\S$`). Requests whose password is a
        /// `PasswordType` member are refused before this by the model validator (`InvalidParameterException`);
        /// this catches passwords that arrive in untyped maps, such as RespondToAuthChallenge's `NEW_PASSWORD`.
        case pattern
        case length
        case uppercase
        case lowercase
        case numbers
        case symbols

        public var message: String {
            switch self {
            case .pattern: return #"Password must satisfy regular expression pattern: ^\S.*\S$"#
            case .length: return "Password not long enough"
            case .uppercase: return "Password must have uppercase characters"
            case .lowercase: return "Password must have lowercase characters"
            case .numbers: return "Password must have numeric characters"
            case .symbols: return "Password must have symbol characters"
            }
        }
    }

    /// The characters AWS counts as symbols, besides a non-leading, non-trailing space.
    public static let symbolCharacters = #"^$*.[]{}()?"!@#%&/\,><':;|_~`=+-"#
    private static let symbolScalars = Set(symbolCharacters.unicodeScalars)

    /// Throws `InvalidPasswordException` naming the first requirement `password` breaks.
    public func validate(_ password: String, wording: Wording = .signUp) throws(AWSError) {
        if let rule = firstViolation(in: password) {
            throw AWSError(.invalidPassword, wording.prefix + rule.message)
        }
    }

    /// The first requirement `password` breaks, or nil when it conforms. The order — format, length, uppercase,
    /// lowercase, numbers, symbols — is a choice: AWS reports one rule at a time and documents no order. What
    /// users have reported pins length first and uppercase before numbers (an AdminCreateUser with
    /// `asdfasilguhasulf!` answered "must have uppercase characters", and with `Asdfasilguhasulf!` "must have
    /// numeric characters"); the rest follows the order AWS's console lists the requirements in.
    public func firstViolation(in password: String) -> Rule? {
        let scalars = Array(password.unicodeScalars)
        if !Self.matchesServerPattern(scalars) { return .pattern }
        if password.utf16.count < minimumLength { return .length }
        var upper = false, lower = false, digit = false, symbol = false
        for (i, s) in scalars.enumerated() {
            switch s {
            case "A"..."Z": upper = true
            case "a"..."z": lower = true
            case "0"..."9": digit = true
            case " ": symbol = symbol || (i > 0 && i < scalars.count - 1)
            default: symbol = symbol || Self.symbolScalars.contains(s)
            }
        }
        if requireUppercase && !upper { return .uppercase }
        if requireLowercase && !lower { return .lowercase }
        if requireNumbers && !digit { return .numbers }
        if requireSymbols && !symbol { return .symbols }
        return nil
    }

    /// `^\S.*\S$` with Java's meanings: `\S` is anything but ASCII whitespace, and `.` is anything but a line
    /// terminator (no DOTALL), so a line break anywhere fails too.
    private static func matchesServerPattern(_ scalars: [Unicode.Scalar]) -> Bool {
        guard scalars.count >= 2, let first = scalars.first, let last = scalars.last,
            !javaWhitespace.contains(first), !javaWhitespace.contains(last)
        else { return false }
        return !scalars.contains { lineTerminators.contains($0) }
    }

    private static let javaWhitespace: Set<Unicode.Scalar> = [" ", "\t", "\n", "\u{0B}", "\u{0C}", "\r"]
    private static let lineTerminators: Set<Unicode.Scalar> = ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"]

    // MARK: - Generating

    /// Characters a generated temporary password draws its symbols from: AWS's set without the space, quotes and
    /// backslash, so the password survives being pasted out of an email or into a shell.
    static let generatedSymbols = "^$*.[]{}()?!@#%&/,><:;|_~=+-"
    private static let uppercaseLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    private static let lowercaseLetters = "abcdefghijklmnopqrstuvwxyz"
    private static let digits = "0123456789"

    /// A random password that satisfies this policy, for AdminCreateUser without a TemporaryPassword. It is
    /// `max(minimumLength, 12)` characters with at least one of each class (whatever the policy requires, so it
    /// also satisfies a stricter policy set later), every position chosen uniformly.
    public func temporaryPassword(random: any RandomSource) -> String {
        let all = Self.uppercaseLetters + Self.lowercaseLetters + Self.digits + Self.generatedSymbols
        let length = max(minimumLength, 12)
        var chars: [Character] = []
        for alphabet in [Self.uppercaseLetters, Self.lowercaseLetters, Self.digits, Self.generatedSymbols] {
            chars += random.string(1, alphabet: alphabet)
        }
        chars += random.string(length - chars.count, alphabet: all)
        // Fisher–Yates, so the guaranteed characters are not always in front.
        for i in stride(from: chars.count - 1, to: 0, by: -1) {
            chars.swapAt(i, random.uniform(below: i + 1))
        }
        return String(chars)
    }
}

extension RandomSource {
    /// A uniform integer in `0..<bound` (rejection sampling over 32 bits, no modulo bias). `bound` is small here.
    fileprivate func uniform(below bound: Int) -> Int {
        precondition(bound > 0 && bound <= Int(UInt32.max))
        let n = UInt64(bound)
        let limit = (UInt64(1) << 32) - ((UInt64(1) << 32) % n)
        while true {
            let b = bytes(4)
            guard b.count == 4 else { continue }
            let v = UInt64(b[0]) | UInt64(b[1]) << 8 | UInt64(b[2]) << 16 | UInt64(b[3]) << 24
            if v < limit { return Int(v % n) }
        }
    }
}
