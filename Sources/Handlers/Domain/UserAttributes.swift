import Foundation

/// Checking user attributes against the pool's schema, in one place for every operation that sets them
/// (SignUp, AdminCreateUser, AdminUpdateUserAttributes, UpdateUserAttributes, the NEW_PASSWORD_REQUIRED
/// challenge) or deletes them (DeleteUserAttributes, AdminDeleteUserAttributes). Messages are AWS's.
public enum UserAttributes {
    public enum Mode: Sendable {
        /// Creating a user: immutable attributes may be set; required ones must be present (checked by
        /// `checkRequired` once the full set is known).
        case create
        /// Changing an existing user: immutable attributes refuse a new value.
        case update
    }

    /// Validates `attributes` against `pool`'s schema and returns them as a dictionary (later duplicates win,
    /// as AWS applies them in order).
    public static func validate(_ attributes: [AttributeType], in pool: UserPoolType, mode: Mode) throws(AWSError) -> [String: String] {
        var problems: [String] = []
        var out: [String: String] = [:]
        for attribute in attributes {
            let name = attribute.name
            let value = attribute.value ?? ""
            guard let definition = definition(of: name, in: pool) else {
                problems.append("\(name): Attribute does not exist in the schema.")
                continue
            }
            if name == "sub" || (mode == .update && definition.mutable == false) {
                throw AWSError.invalidParameter("user.\(name): Attribute cannot be updated.")
            }
            if let problem = check(value, against: definition) ?? checkFormat(value, of: name) {
                problems.append("\(name): \(problem)")
                continue
            }
            out[name] = value
        }
        guard problems.isEmpty else {
            let prefix = mode == .create ? "Attributes did not conform to the schema: " : "Invalid user attributes: "
            throw AWSError.invalidParameter(prefix + problems.map { $0 + "\n" }.joined())
        }
        if let email = out["email"], !isValidEmail(email) {
            throw AWSError.invalidParameter("Invalid email address format.")
        }
        if let phone = out["phone_number"], !isValidPhoneNumber(phone) {
            throw AWSError.invalidParameter("Invalid phone number format.")
        }
        return out
    }

    /// On creation: every attribute the schema marks required must have a value.
    public static func checkRequired(_ attributes: [String: String], in pool: UserPoolType) throws(AWSError) {
        let missing = (pool.schemaAttributes ?? []).compactMap { a -> String? in
            guard a.required == true, let name = a.name, name != "sub", (attributes[name] ?? "").isEmpty else { return nil }
            return name
        }
        guard missing.isEmpty else {
            throw AWSError.invalidParameter(
                "Attributes did not conform to the schema: " + missing.map { "\($0): The attribute is required\n" }.joined())
        }
    }

    /// Names a client may delete: defined, mutable, not required, not `sub`.
    public static func validateDeletion(_ names: [String], in pool: UserPoolType) throws(AWSError) {
        for name in names {
            guard let definition = definition(of: name, in: pool) else {
                throw AWSError.invalidParameter("Invalid user attributes: \(name): Attribute does not exist in the schema.\n")
            }
            if name == "sub" || definition.mutable == false {
                throw AWSError.invalidParameter("user.\(name): Attribute cannot be updated.")
            }
            if definition.required == true {
                throw AWSError.invalidParameter("Invalid user attributes: \(name): The attribute is required\n")
            }
        }
    }

    /// The schema entry for `name` (`custom:x` and `dev:custom:x` are stored under their full names).
    public static func definition(of name: String, in pool: UserPoolType) -> SchemaAttributeType? {
        (pool.schemaAttributes ?? []).first { $0.name == name }
    }

    /// What is wrong with `value` for `definition`, or nil.
    static func check(_ value: String, against definition: SchemaAttributeType) -> String? {
        switch definition.attributeDataType ?? .string {
        case .boolean:
            return value == "true" || value == "false" ? nil : "Attribute value must be \"true\" or \"false\"."
        case .number:
            guard isDecimal(value), let number = Double(value), number.isFinite else {
                return "Number attribute value must be a number."
            }
            if let min = definition.numberAttributeConstraints?.minValue.flatMap(Double.init), number < min {
                return "Number must be greater than or equal to \(min.clean)."
            }
            if let max = definition.numberAttributeConstraints?.maxValue.flatMap(Double.init), number > max {
                return "Number must be less than or equal to \(max.clean)."
            }
            return nil
        case .dateTime:
            return value.isEmpty ? "Attribute value must be a date." : nil
        case .string:
            let length = value.utf16.count
            if let min = definition.stringAttributeConstraints?.minLength.flatMap(Int.init), length < min {
                return "String must be no shorter than \(min) characters."
            }
            if let max = definition.stringAttributeConstraints?.maxLength.flatMap(Int.init), length > max {
                return "String must be no longer than \(max) characters."
            }
            return nil
        }
    }

    /// What is wrong with `value` for the standard attribute `name` beyond its schema entry, or nil: `birthdate` is
    /// "a valid 10 character date in the format YYYY-MM-DD" (AWS's developer guide, standard attribute format
    /// restrictions; the schema's length of 10 is checked first). The wording is ours: AWS's is not documented.
    static func checkFormat(_ value: String, of name: String) -> String? {
        guard name == "birthdate", !value.isEmpty, !isValidBirthdate(value) else { return nil }
        return "Attribute value must be a valid date in the format YYYY-MM-DD."
    }

    /// `YYYY-MM-DD`, a day that exists (February 29th in leap years only): `UTCTime`'s calendar. OpenID Connect's
    /// `0000` for a year left out is a year like any other here.
    static func isValidBirthdate(_ s: String) -> Bool {
        UTCTime.parseDate(s) != nil
    }

    /// Plain decimal notation: an optional sign, digits with at most one decimal point (at least one digit), and
    /// an optional exponent. Not Swift's wider `Double(_:)` grammar, which also reads `nan`, `inf` and hexadecimal.
    static func isDecimal(_ s: String) -> Bool {
        var bytes = s.utf8[...]
        func digits() -> Int {
            let n = bytes.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
            bytes = bytes.dropFirst(n)
            return n
        }
        func sign() { if let b = bytes.first, b == UInt8(ascii: "+") || b == UInt8(ascii: "-") { bytes = bytes.dropFirst() } }
        sign()
        var count = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            count += digits()
        }
        guard count > 0 else { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            sign()
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    ///
    /// On Unicode scalars: split on `Character`s, an `@` or a space joined to a combining mark would not count.
    static func isValidEmail(_ s: String) -> Bool {
        let parts = s.unicodeScalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !s.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else { return false }
        return parts[1].first != "." && parts[1].last != "."
    }

    /// E.164: a plus sign and up to 15 digits.
    static func isValidPhoneNumber(_ s: String) -> Bool {
        guard s.hasPrefix("+") else { return false }
        let digits = s.dropFirst()
        return (1...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension Double {
    /// `5` rather than `5.0` in messages.
    var clean: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
