import Foundation
import Testing

@testable import Handlers

/// Deterministic bytes (SplitMix64) for the generator's property tests.
private final class SeededRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    func next() -> UInt64 {
        lock.withLock {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

struct PasswordPolicyTests {
    let policy = PasswordPolicy.defaultPolicy

    func message(_ password: String, _ policy: PasswordPolicy = .defaultPolicy,
                 wording: PasswordPolicy.Wording = .signUp) -> String? {
        do {
            try policy.validate(password, wording: wording)
            return nil
        } catch {
            #expect(error.code == .invalidPassword)
            return error.message
        }
    }

    @Test func defaultPolicyIsAWSs() {
        #expect(policy.minimumLength == 8)
        #expect(policy.requireUppercase && policy.requireLowercase && policy.requireNumbers && policy.requireSymbols)
        #expect(policy.temporaryPasswordValidityDays == 7)
        #expect(PasswordPolicy(nil) == policy)
        #expect(policy.shape == PasswordPolicyType(
            minimumLength: 8, requireUppercase: true, requireLowercase: true, requireNumbers: true,
            requireSymbols: true, temporaryPasswordValidityDays: 7))
        #expect(PasswordPolicy(policy.shape) == policy)
    }

    @Test func aGivenPolicyDefaultsMissingRequirementsToOff() {
        let p = PasswordPolicy(PasswordPolicyType(minimumLength: 6, temporaryPasswordValidityDays: 0))
        #expect(p == PasswordPolicy(
            minimumLength: 6, requireUppercase: false, requireLowercase: false, requireNumbers: false,
            requireSymbols: false, temporaryPasswordValidityDays: 7))
        #expect(message("abcdef", p) == nil)
        #expect(PasswordPolicy(PasswordPolicyType()).minimumLength == 8)
    }

    @Test func eachMessageIsAWSsWording() {
        #expect(message("Ab1!xyz") == "Password did not conform with policy: Password not long enough")
        #expect(message("abcd1234!") == "Password did not conform with policy: Password must have uppercase characters")
        #expect(message("ABCD1234!") == "Password did not conform with policy: Password must have lowercase characters")
        #expect(message("Abcdefgh!") == "Password did not conform with policy: Password must have numeric characters")
        #expect(message("Abcd1234") == "Password did not conform with policy: Password must have symbol characters")
        #expect(message("Abcd1234!") == nil)
    }

    @Test func theWordingFollowsTheOperation() {
        #expect(message("Abcd1234", wording: .signUp)
            == "Password did not conform with policy: Password must have symbol characters")
        #expect(message("Abcd1234", wording: .adminCreateUser)
            == "Password did not conform with password policy: Password must have symbol characters")
        #expect(message("Abcd1234", wording: .newPassword)
            == "Password does not conform to policy: Password must have symbol characters")
    }

    /// The order is our choice (AWS reports one rule and documents no order): format, length, uppercase,
    /// lowercase, numbers, symbols. Reported by users of AWS: a short password is "not long enough" whatever else
    /// it lacks, and `asdfasilguhasulf!` (no uppercase, no digit) is refused for uppercase first.
    @Test func onlyTheFirstBrokenRuleIsReportedInOurOrder() {
        #expect(policy.firstViolation(in: "a") == .pattern)
        #expect(policy.firstViolation(in: " abc") == .pattern)
        #expect(policy.firstViolation(in: "abc") == .length)
        #expect(policy.firstViolation(in: "asdfasilguhasulf!") == .uppercase)
        #expect(policy.firstViolation(in: "Asdfasilguhasulf!") == .numbers)
        #expect(policy.firstViolation(in: "12345678") == .uppercase)
        #expect(policy.firstViolation(in: "!!!!!!!!") == .uppercase)
        #expect(policy.firstViolation(in: "ABCDEFGH") == .lowercase)
        #expect(policy.firstViolation(in: "Abcdefgh") == .numbers)
        #expect(policy.firstViolation(in: "Abcdefg1") == .symbols)
        #expect(PasswordPolicy.Rule.allCases == [.pattern, .length, .uppercase, .lowercase, .numbers, .symbols])
    }

    @Test func requirementsThatAreOffAreNotChecked() {
        let lengthOnly = PasswordPolicy(
            minimumLength: 6, requireUppercase: false, requireLowercase: false, requireNumbers: false,
            requireSymbols: false)
        #expect(message("aaaaaa", lengthOnly) == nil)
        #expect(message("      x", lengthOnly) != nil)  // leading space is never allowed
        var symbolsOnly = lengthOnly
        symbolsOnly.requireSymbols = true
        #expect(message("aaaaaa", symbolsOnly)
            == "Password did not conform with policy: Password must have symbol characters")
        #expect(message("aaa-aa", symbolsOnly) == nil)
    }

    @Test func everyDocumentedSymbolCounts() {
        let documented = #"^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + -"#
        let symbols = documented.split(separator: " ").map(String.init)
        #expect(symbols.count == 32)
        #expect(Set(symbols.joined()) == Set(PasswordPolicy.symbolCharacters))
        for s in symbols {
            #expect(message("Abcd1234" + s) == nil, "symbol \(s)")
        }
    }

    @Test func anInnerSpaceIsASymbolButLeadingAndTrailingWhitespaceIsRefused() {
        #expect(message("Abcd 1234") == nil)
        #expect(message("Ab cd 12 34") == nil)
        #expect(message(" Abcd1234!")
            == #"Password did not conform with policy: Password must satisfy regular expression pattern: ^\S.*\S$"#)
        #expect(message("Abcd1234! ") != nil)
        #expect(message("\tAbcd1234!") != nil)
        #expect(message("Abcd1234!\n") != nil)
        #expect(message("Abcd\n1234!") != nil)  // Java's `.` does not match a line break
        // A tab inside is allowed by the pattern but is not a symbol.
        #expect(message("Abcd\t1234") == "Password did not conform with policy: Password must have symbol characters")
    }

    @Test func onlyBasicLatinLettersAndASCIIDigitsCount() {
        // É is an uppercase letter, but not a Basic Latin one.
        #expect(policy.firstViolation(in: "ÉCOLE123!x") == nil)
        #expect(policy.firstViolation(in: "école123!É") == .uppercase)
        #expect(policy.firstViolation(in: "ÉCOLE123!") == .lowercase)
        #expect(policy.firstViolation(in: "Abcdefg١!") == .numbers)  // Arabic-Indic digit one
        #expect(policy.firstViolation(in: "Abcdef1§€") == .symbols)  // not in AWS's list
        #expect(policy.firstViolation(in: "Pässwörd1!") == nil)  // other characters are allowed
    }

    @Test func lengthCountsUTF16CodeUnits() {
        let six = PasswordPolicy(
            minimumLength: 6, requireUppercase: false, requireLowercase: false, requireNumbers: false,
            requireSymbols: false)
        #expect(six.firstViolation(in: "ab🔑cd") == nil)  // 5 characters, 6 UTF-16 units
        #expect(six.firstViolation(in: "abécd") == .length)  // 5 characters, 5 units
    }

    @Test func temporaryPasswordsSatisfyRandomPolicies() throws {
        let random = SeededRandom(seed: 2024)
        for _ in 0..<500 {
            let bits = random.next()
            let policy = PasswordPolicy(
                minimumLength: 6 + Int(bits % 94), requireUppercase: bits & 0x100 != 0,
                requireLowercase: bits & 0x200 != 0, requireNumbers: bits & 0x400 != 0,
                requireSymbols: bits & 0x800 != 0)
            let password = policy.temporaryPassword(random: random)
            #expect(policy.firstViolation(in: password) == nil, "\(password) for \(policy)")
            #expect(PasswordPolicy.defaultPolicy.firstViolation(in: password) == nil)
            #expect(password.count == max(policy.minimumLength, 12))
            #expect(password.allSatisfy { $0.isASCII && !$0.isWhitespace })
        }
    }

    @Test func temporaryPasswordsVaryAndUseTheWholeAlphabet() {
        let random = SeededRandom(seed: 7)
        var seen = Set<Character>()
        var passwords = Set<String>()
        for _ in 0..<300 {
            let p = PasswordPolicy.defaultPolicy.temporaryPassword(random: random)
            passwords.insert(p)
            seen.formUnion(p)
        }
        #expect(passwords.count == 300)
        let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        let alphabet = Set(letters + "0123456789" + PasswordPolicy.generatedSymbols)
        #expect(seen == alphabet)
        // The guaranteed characters are shuffled in: the first position is not always uppercase.
        let firsts = Set((0..<50).map { _ in PasswordPolicy.defaultPolicy.temporaryPassword(random: random).first! })
        #expect(firsts.contains { !$0.isUppercase })
    }
}
