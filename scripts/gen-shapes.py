#!/usr/bin/env python3
"""Generate Swift shapes for the cognito-idp operations we implement, from botocore's model.

Writes:
  Sources/Handlers/Shapes/Generated.swift       one `Schema` per shape, one struct per structure shape,
                                                one enum per enum-valued string shape, <Op>Input/<Op>Output
  Sources/Handlers/Shapes/OperationModel.swift  every operation name in the model, and the public ones

Both files are committed, so building needs no Python; run this script again after changing OPERATIONS
or upgrading botocore:

    .venv/bin/python scripts/gen-shapes.py    # model from the botocore Tests/e2e/requirements.txt pins (make venv)
    python3 scripts/gen-shapes.py --model path/to/service-2.json[.gz]

The raw model JSON is read (not botocore's Shape objects) so that min/max/pattern/enum/sensitive/required
are exactly what the service declares.
"""

import argparse
import gzip
import json
import os
import re
import sys

# The operations whose input and output shapes we generate (the project implements these).
# Where the service itself is known to check (and quote) something other than botocore's published pattern:
# the text quoted in messages, and the (Java) regex matched.
# PasswordType: botocore still carries the 2018 pattern `[\S]+`, but Cognito accepts passwords with inner
# spaces (a space counts as a symbol in its password policy) and refuses leading/trailing whitespace, and a
# single character, with "Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$" (an AWS answer to
# ConfirmForgotPassword quoted in cds-snc/platform-forms-client#5635, 2025). Matched as `\S.*\S`, the same
# passwords but for line separators inside the outer runs (which the password policy refuses anyway), in linear
# time: ICU backtracks over `[\S]+.*[\S]+` in polynomial time (a 1 KB password ending in a space took 0.8 s).
PATTERN_OVERRIDES = {
    "PasswordType": (r"^[\S]+.*[\S]+$", r"\S.*\S"),
}

OPERATIONS = [
    "CreateUserPool", "DescribeUserPool", "ListUserPools", "UpdateUserPool", "DeleteUserPool",
    "AddCustomAttributes",
    "CreateUserPoolClient", "DescribeUserPoolClient", "ListUserPoolClients", "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "SignUp", "ConfirmSignUp", "ResendConfirmationCode",
    "AdminCreateUser", "AdminGetUser", "AdminDeleteUser", "AdminSetUserPassword", "AdminConfirmSignUp",
    "AdminDisableUser", "AdminEnableUser", "AdminUpdateUserAttributes", "AdminDeleteUserAttributes",
    "AdminResetUserPassword", "ListUsers",
    "InitiateAuth", "GetTokensFromRefreshToken", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge",
    "GetUser", "GlobalSignOut", "AdminUserGlobalSignOut", "RevokeToken", "ChangePassword",
    "ForgotPassword", "ConfirmForgotPassword", "DeleteUser", "UpdateUserAttributes",
    "GetUserAttributeVerificationCode", "VerifyUserAttribute", "DeleteUserAttributes",
    "TagResource", "UntagResource", "ListTagsForResource",
    "GetUserPoolMfaConfig", "SetUserPoolMfaConfig",
]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATED = os.path.join(ROOT, "Sources", "Handlers", "Shapes", "Generated.swift")
OPERATION_MODEL = os.path.join(ROOT, "Sources", "Handlers", "Shapes", "OperationModel.swift")

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
    "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
    "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
    "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
    "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
    "super", "throws", "true", "try", "async", "some", "any", "Type", "Protocol", "required",
    "convenience", "dynamic", "final", "lazy", "optional", "override", "mutating", "nonmutating",
    "weak", "unowned", "indirect", "get", "set", "willSet", "didSet", "prefix", "postfix", "infix",
    "package", "consume", "copy", "discard", "each", "borrowing", "consuming", "macro",
}


# ----------------------------------------------------------------------------------------------------
# Model loading


def load_model(path):
    if path is None:
        try:
            import botocore
        except ImportError:
            sys.exit("botocore is not installed (pip install boto3), or pass --model")
        base = os.path.join(os.path.dirname(botocore.__file__), "data", "cognito-idp")
        versions = sorted(os.listdir(base))
        folder = os.path.join(base, versions[-1])
        for name in ("service-2.json.gz", "service-2.json"):
            if os.path.exists(os.path.join(folder, name)):
                path = os.path.join(folder, name)
                break
        else:
            sys.exit("no service-2.json(.gz) under " + folder)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def children(shape):
    t = shape["type"]
    if t == "structure":
        return [m["shape"] for m in shape["members"].values()]
    if t == "list":
        return [shape["member"]["shape"]]
    if t == "map":
        return [shape["key"]["shape"], shape["value"]["shape"]]
    return []


def reachable(model, operations):
    shapes = model["shapes"]
    seen = set()
    stack = []
    for op in operations:
        spec = model["operations"][op]
        for key in ("input", "output"):
            if key in spec:
                stack.append(spec[key]["shape"])
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(children(shapes[name]))
    return seen


def find_cycles(shapes, names):
    """Shape names that take part in a reference cycle (recursive shapes)."""
    state = {}
    cyclic = set()

    def visit(name, path):
        state[name] = 1
        for child in children(shapes[name]):
            if state.get(child) == 1:
                cyclic.update(path[path.index(child):])
            elif child not in state:
                visit(child, path + [child])
        state[name] = 2

    for name in sorted(names):
        if name not in state:
            visit(name, [name])
    return cyclic


# ----------------------------------------------------------------------------------------------------
# Naming


def lower_first(name):
    return name[:1].lower() + name[1:]


def ident(name):
    return "`%s`" % name if name in SWIFT_KEYWORDS else name


def case_name(value):
    """Lower-camel Swift case name for an enum raw value: USER_SRP_AUTH -> userSrpAuth, V1_0 -> v1_0."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", value) if p]
    out = ""
    for i, part in enumerate(parts):
        if part.isupper() or part.islower() or part.isdigit():
            word = part.lower()
        else:  # mixed case such as DateTime: keep the inner capitals
            word = part
        if i == 0:
            word = word[:1].lower() + word[1:]
        elif out and out[-1].isdigit() and word[:1].isdigit():
            word = "_" + word
        else:
            word = word[:1].upper() + word[1:]
        out += word
    if not out:
        out = "empty"
    if out[0].isdigit():
        out = "_" + out
    if out in ("none", "rawValue", "allCases", "init"):
        out += "_"
    return ident(out)


def swift_string(text):
    """A Swift string literal: raw (#"..."#) when it holds backslashes or quotes."""
    if "\\" not in text and '"' not in text and "\n" not in text:
        return '"%s"' % text
    hashes = "#"
    while ('"' + hashes) in text:
        hashes += "#"
    return '%s"%s"%s' % (hashes, text, hashes)


def number(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


# ----------------------------------------------------------------------------------------------------
# Java -> ICU regular expressions
#
# AWS matches the model's patterns with java.util.regex, where \w \s \d (and their negations) are ASCII
# only; ICU's are Unicode-aware (ICU's \w accepts 'é', its \s accepts U+00A0). We compile an ICU
# translation with Java's ASCII meaning and keep the model's text for error messages.

JAVA_CLASSES = {
    "w": ("a-zA-Z0-9_", False),
    "W": ("a-zA-Z0-9_", True),
    "d": ("0-9", False),
    "D": ("0-9", True),
    "s": (" \\t\\n\\x{0B}\\f\\r", False),
    "S": (" \\t\\n\\x{0B}\\f\\r", True),
}


def java_to_icu(pattern):
    out = []
    depth = 0  # character-class nesting
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            if n in JAVA_CLASSES:
                body, negated = JAVA_CLASSES[n]
                # Always a bracketed set: inside a class ICU reads it as a nested set (a union), which keeps
                # a negation local and cannot run into a neighbouring '-' as a range.
                out.append("[%s%s]" % ("^" if negated else "", body))
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth > 0:
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out)


# ----------------------------------------------------------------------------------------------------
# Generation


class Generator:
    def __init__(self, model, operations):
        self.model = model
        self.shapes = model["shapes"]
        self.operations = operations
        for op in operations:
            if op not in model["operations"]:
                sys.exit("operation %s is not in the model" % op)
        self.names = sorted(reachable(model, operations))
        self.cyclic = find_cycles(self.shapes, self.names)
        self.patterns = {}  # (quoted text, ICU regex) -> Swift name
        for name in self.names:
            key = self.pattern_key(name)
            if key is not None and key not in self.patterns:
                self.patterns[key] = lower_first(name)

    def pattern_key(self, name):
        """The shape's pattern as (the text messages quote, the ICU regex matched), or None."""
        text = self.shapes[name].get("pattern")
        if text is None:
            return None
        quoted, matched = PATTERN_OVERRIDES.get(name, (text, text))
        return quoted, java_to_icu(matched)

    def is_enum(self, name):
        shape = self.shapes[name]
        return shape["type"] == "string" and "enum" in shape

    def swift_type(self, name):
        shape = self.shapes[name]
        t = shape["type"]
        if t == "string":
            return name if "enum" in shape else "String"
        if t in ("integer", "long"):
            return "Int"
        if t == "boolean":
            return "Bool"
        if t in ("double", "float"):
            return "Double"
        if t == "timestamp":
            return "Date"
        if t == "blob":
            return "[UInt8]"
        if t == "list":
            return "[%s]" % self.swift_type(shape["member"]["shape"])
        if t == "map":
            return "[String: %s]" % self.swift_type(shape["value"]["shape"])
        if t == "structure":
            return name
        raise ValueError("unsupported shape type %s (%s)" % (t, name))

    # -- schemas

    def schema_ref(self, name):
        return "Schemas.%s" % ident(lower_first(name))

    def schema_decl(self, name):
        shape = self.shapes[name]
        t = shape["type"]
        if t == "string":
            kind = ".string"
        elif t in ("integer", "long", "boolean", "double", "timestamp", "blob"):
            kind = "." + t
        elif t == "float":
            kind = ".double"
        elif t == "list":
            kind = ".list(%s)" % self.schema_ref(shape["member"]["shape"])
        elif t == "map":
            kind = ".map(key: %s, value: %s)" % (
                self.schema_ref(shape["key"]["shape"]), self.schema_ref(shape["value"]["shape"]))
        elif t == "structure":
            required = set(shape.get("required", []))
            lines = []
            for member, spec in shape["members"].items():
                req = ", required: true" if member in required else ""
                lines.append("        Schema.Member(%s, %s%s)," % (
                    swift_string(member), self.schema_ref(spec["shape"]), req))
            if lines:
                kind = ".structure([\n%s\n    ])" % "\n".join(lines)
            else:
                kind = ".structure([])"
        else:
            raise ValueError("unsupported shape type %s (%s)" % (t, name))
        args = [swift_string(name), kind]
        if "min" in shape:
            args.append("min: %s" % number(shape["min"]))
        if "max" in shape:
            args.append("max: %s" % number(shape["max"]))
        if "pattern" in shape:
            args.append("pattern: Patterns.%s" % ident(self.patterns[self.pattern_key(name)]))
        if "enum" in shape:
            args.append("enumValues: [%s]" % ", ".join(swift_string(v) for v in shape["enum"]))
        if shape.get("sensitive"):
            args.append("sensitive: true")
        # A recursive shape would need its schema built lazily; cognito-idp has none (checked in main).
        return "    public static let %s = Schema(%s)" % (ident(lower_first(name)), ", ".join(args))

    # -- Swift types

    def enum_decl(self, name):
        shape = self.shapes[name]
        lines = ["/// The values of botocore's `%s`." % name,
                 "public enum %s: String, Sendable, CaseIterable, ShapeValue {" % name]
        used = set()
        for value in shape["enum"]:
            case = case_name(value)
            base = case
            k = 2
            while case in used:
                case = "%s%d" % (base.strip("`"), k)
                k += 1
            used.add(case)
            lines.append("    case %s = %s" % (case, swift_string(value)))
        lines.append("}")
        return "\n".join(lines)

    def struct_decl(self, name):
        shape = self.shapes[name]
        required = set(shape.get("required", []))
        members = []
        for member, spec in shape["members"].items():
            target = spec["shape"]
            prop = ident(lower_first(member))
            swift = self.swift_type(target)
            is_required = member in required
            blob = self.shapes[target]["type"] == "blob"
            members.append((member, prop, swift, is_required, blob))

        lines = ["/// botocore's `%s`." % name,
                 "public struct %s: Shape, ShapeValue, Equatable {" % name,
                 "    public static var schema: Schema { %s }" % self.schema_ref(name)]
        if members:
            lines.append("")
        for member, prop, swift, is_required, _ in members:
            lines.append("    public var %s: %s%s" % (prop, swift, "" if is_required else "?"))

        # memberwise init
        lines.append("")
        if members:
            params = []
            for member, prop, swift, is_required, _ in members:
                label = prop
                params.append("        %s: %s%s" % (label, swift, "" if is_required else "? = nil"))
            lines.append("    public init(")
            lines.append(",\n".join(params))
            lines.append("    ) {")
            for member, prop, swift, is_required, _ in members:
                lines.append("        self.%s = %s" % (prop.strip("`"), prop))
            lines.append("    }")
        else:
            lines.append("    public init() {}")

        # init(json:)
        lines.append("")
        if members:
            lines.append("    public init(json: JSON) throws(AWSError) {")
            lines.append("        let r = try ShapeReader(json)")
            for member, prop, swift, is_required, blob in members:
                fn = ("requiredBlob" if blob else "required") if is_required else (
                    "optionalBlob" if blob else "optional")
                lines.append("        self.%s = try r.%s(%s)" % (prop.strip("`"), fn, swift_string(member)))
            lines.append("    }")
        else:
            lines.append("    public init(json: JSON) throws(AWSError) {")
            lines.append("        _ = try ShapeReader(json)")
            lines.append("    }")

        # toJSON
        lines.append("")
        lines.append("    public func toJSON() -> JSON {")
        if members:
            # Sized once for every member: no rehash while the optional ones are added.
            lines.append("        var o = [String: JSON](minimumCapacity: %d)" % len(members))
            for member, prop, swift, is_required, blob in members:
                access = "self.%s" % prop.strip("`")
                if blob:
                    value = "ShapeWriter.blob(%s)" % access if is_required else "%s.map(ShapeWriter.blob)" % access
                else:
                    value = "%s.shapeJSON" % access if is_required else "%s?.shapeJSON" % access
                lines.append("        o[%s] = %s" % (swift_string(member), value))
            lines.append("        return .object(o)")
        else:
            lines.append("        .object([:])")
        lines.append("    }")
        lines.append("}")
        return "\n".join(lines)

    # -- files

    def generated(self):
        out = [HEADER, PRELUDE]
        out.append("// MARK: - Operations\n")
        for op in self.operations:
            spec = self.model["operations"][op]
            out.append("public typealias %sInput = %s" % (op, spec["input"]["shape"]))
            if "output" in spec:
                out.append("public typealias %sOutput = %s" % (op, spec["output"]["shape"]))
            else:
                out.append("public typealias %sOutput = EmptyShape" % op)
        out.append("")
        out.append("// MARK: - Patterns\n")
        out.append("/// The model's patterns, one compiled regex per distinct pattern text (and matching override).")
        out.append("enum Patterns {")
        for (text, icu), pname in sorted(self.patterns.items(), key=lambda kv: kv[1]):
            if icu == text:
                out.append("    static let %s = Pattern(%s)" % (ident(pname), swift_string(text)))
            else:
                out.append("    static let %s = Pattern(%s, regex: %s)" % (
                    ident(pname), swift_string(text), swift_string(icu)))
        out.append("")
        out.append("    /// Every pattern above, so a test can check that each one compiled.")
        out.append("    static var all: [Pattern] {")
        out.append("        [")
        for text, pname in sorted(self.patterns.items(), key=lambda kv: kv[1]):
            out.append("            %s," % ident(pname))
        out.append("        ]")
        out.append("    }")
        out.append("}")
        out.append("")
        out.append("// MARK: - Schemas\n")
        out.append("/// One runtime schema per botocore shape reachable from the operations above.")
        out.append("public enum Schemas {")
        for name in self.names:
            out.append(self.schema_decl(name))
        out.append("}")
        out.append("")
        out.append("// MARK: - Enums\n")
        for name in self.names:
            if self.is_enum(name):
                out.append(self.enum_decl(name))
                out.append("")
        out.append("// MARK: - Structures\n")
        for name in self.names:
            if self.shapes[name]["type"] == "structure":
                out.append(self.struct_decl(name))
                out.append("")
        return "\n".join(out).rstrip() + "\n"

    def operation_model(self):
        ops = self.model["operations"]
        public = sorted(o for o, spec in ops.items() if spec.get("authtype") == "none"
                        or "smithy.api#noAuth" in spec.get("auth", []))
        everything = sorted(ops)
        lines = [HEADER_OPS,
                 "/// Which operations exist in the cognito-idp model, and which of them AWS serves without a",
                 "/// SigV4 signature (`authtype: none`): the dispatcher tells an unimplemented-but-real",
                 "/// operation from an unknown one, and public from IAM operations, with these.",
                 "public enum OperationModel {",
                 "    /// The %d operations whose `authtype` is `none`." % len(public),
                 "    public static let publicOperations: Set<String> = ["]
        lines += ["        %s," % swift_string(o) for o in public]
        lines += ["    ]", "",
                  "    /// All %d operations of the model." % len(everything),
                  "    public static let allOperations: Set<String> = ["]
        lines += ["        %s," % swift_string(o) for o in everything]
        lines += ["    ]", "",
                  "    /// The operations whose shapes `Generated.swift` holds (`scripts/gen-shapes.py`).",
                  "    public static let generatedOperations: [String] = ["]
        lines += ["        %s," % swift_string(o) for o in self.operations]
        lines += ["    ]", "}"]
        return "\n".join(lines) + "\n"


HEADER = """\
// Generated by scripts/gen-shapes.py from botocore's cognito-idp model. Do not edit: change the script
// (or its OPERATIONS list) and run it again.
//
// swift-format-ignore-file

import Foundation
"""

HEADER_OPS = """\
// Generated by scripts/gen-shapes.py from botocore's cognito-idp model. Do not edit.
//
// swift-format-ignore-file
"""

# Support code the generated structs call. It lives here, written out by the generator, so the coding
# rules and the code that depends on them change together.
PRELUDE = r'''
// MARK: - Coding support

/// A value that can be a member of a generated shape: decoded from our `JSON` and encoded back.
/// Decoding follows AWS's JSON 1.1 front end: `null` counts as absent, `null` list items and map values
/// are dropped, a fractional number given for an integer is truncated.
protocol ShapeValue: Sendable {
    init(shapeJSON json: JSON) throws(AWSError)
    var shapeJSON: JSON { get }
}

extension ShapeValue where Self: Shape {
    init(shapeJSON json: JSON) throws(AWSError) { try self.init(json: json) }
    var shapeJSON: JSON { toJSON() }
}

extension ShapeValue where Self: RawRepresentable, Self.RawValue == String {
    init(shapeJSON json: JSON) throws(AWSError) {
        guard case .string(let raw) = json else { throw AWSError.cannotConvert(json, to: .string) }
        guard let value = Self(rawValue: raw) else {
            throw AWSError(.serialization, "'\(raw)' is not a valid \(Self.self) value")
        }
        self = value
    }
    var shapeJSON: JSON { .string(rawValue) }
}

extension String: ShapeValue {
    init(shapeJSON json: JSON) throws(AWSError) {
        guard case .string(let s) = json else { throw AWSError.cannotConvert(json, to: .string) }
        self = s
    }
    var shapeJSON: JSON { .string(self) }
}

extension Int: ShapeValue {
    init(shapeJSON json: JSON) throws(AWSError) {
        switch json {
        case .int(let n): self = n
        case .double(let d):
            guard d.isFinite, let n = Int(exactly: d.rounded(.towardZero)) else {
                throw AWSError.cannotConvert(json, to: .integer)
            }
            self = n
        default: throw AWSError.cannotConvert(json, to: .integer)
        }
    }
    var shapeJSON: JSON { .int(self) }
}

extension Bool: ShapeValue {
    init(shapeJSON json: JSON) throws(AWSError) {
        guard case .bool(let b) = json else { throw AWSError.cannotConvert(json, to: .boolean) }
        self = b
    }
    var shapeJSON: JSON { .bool(self) }
}

extension Double: ShapeValue {
    init(shapeJSON json: JSON) throws(AWSError) {
        switch json {
        case .int(let n): self = Double(n)
        case .double(let d): self = d
        default: throw AWSError.cannotConvert(json, to: .double)
        }
    }
    var shapeJSON: JSON { .double(self) }
}

extension Date: ShapeValue {
    /// JSON 1.1 timestamps are epoch seconds, possibly fractional.
    init(shapeJSON json: JSON) throws(AWSError) {
        switch json {
        case .int(let n): self = Date(timeIntervalSince1970: TimeInterval(n))
        case .double(let d): self = Date(timeIntervalSince1970: d)
        default: throw AWSError.cannotConvert(json, to: .timestamp)
        }
    }
    var shapeJSON: JSON {
        let t = timeIntervalSince1970
        if t == t.rounded(), abs(t) < 1e15 { return .int(Int(t)) }
        return .double(t)
    }
}

extension Array: ShapeValue where Element: ShapeValue {
    init(shapeJSON json: JSON) throws(AWSError) {
        guard case .array(let items) = json else { throw AWSError.cannotConvert(json, to: .list) }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            if case .null = item { continue }
            out.append(try Element(shapeJSON: item))
        }
        self = out
    }
    var shapeJSON: JSON { .array(map { $0.shapeJSON }) }
}

extension Dictionary: ShapeValue where Key == String, Value: ShapeValue {
    init(shapeJSON json: JSON) throws(AWSError) {
        guard case .object(let members) = json else { throw AWSError.cannotConvert(json, to: .map) }
        var out: [String: Value] = [:]
        for (key, item) in members {
            if case .null = item { continue }
            out[key] = try Value(shapeJSON: item)
        }
        self = out
    }
    var shapeJSON: JSON { .object(mapValues { $0.shapeJSON }) }
}

/// Reads the members of one structure; unknown members are ignored, as AWS ignores them.
struct ShapeReader {
    let members: [String: JSON]

    init(_ json: JSON) throws(AWSError) {
        guard case .object(let members) = json else { throw AWSError.cannotConvert(json, to: .structure) }
        self.members = members
    }

    func value(_ name: String) -> JSON? {
        guard let v = members[name] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func required<T: ShapeValue>(_ name: String) throws(AWSError) -> T {
        guard let v = value(name) else { throw AWSError(.serialization, "Missing required member \(name)") }
        return try T(shapeJSON: v)
    }

    func optional<T: ShapeValue>(_ name: String) throws(AWSError) -> T? {
        guard let v = value(name) else { return nil }
        return try T(shapeJSON: v)
    }

    func requiredBlob(_ name: String) throws(AWSError) -> [UInt8] {
        guard let v = value(name) else { throw AWSError(.serialization, "Missing required member \(name)") }
        return try ShapeReader.blob(v)
    }

    func optionalBlob(_ name: String) throws(AWSError) -> [UInt8]? {
        guard let v = value(name) else { return nil }
        return try ShapeReader.blob(v)
    }

    /// Blobs travel as base64 text.
    static func blob(_ json: JSON) throws(AWSError) -> [UInt8] {
        guard case .string(let s) = json else { throw AWSError.cannotConvert(json, to: .blob) }
        guard let data = Data(base64Encoded: s) else {
            throw AWSError(.serialization, "'\(s)' can not be converted to a Blob")
        }
        return [UInt8](data)
    }
}

enum ShapeWriter {
    static func blob(_ bytes: [UInt8]) -> JSON { .string(Data(bytes).base64EncodedString()) }
}
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="path to cognito-idp service-2.json or .json.gz")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed files differ from what would be generated")
    args = parser.parse_args()

    model = load_model(args.model)
    gen = Generator(model, OPERATIONS)
    if gen.cyclic:
        # Schema holds its children in `let`s, so a cycle would need a lazily-built schema; the model has
        # had none so far. Fail loudly rather than generate code that recurses at start-up.
        sys.exit("recursive shapes in the model: %s; teach gen-shapes.py to build them lazily"
                 % ", ".join(sorted(gen.cyclic)))
    outputs = {GENERATED: gen.generated(), OPERATION_MODEL: gen.operation_model()}
    stale = []
    for path, text in outputs.items():
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old == text:
            continue
        stale.append(path)
        if not args.check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if args.check and stale:
        sys.exit("out of date: " + ", ".join(os.path.relpath(p, ROOT) for p in stale))
    structs = sum(1 for n in gen.names if gen.shapes[n]["type"] == "structure")
    print("%d shapes (%d structures, %d enums), %d patterns; %s" % (
        len(gen.names), structs, sum(1 for n in gen.names if gen.is_enum(n)), len(gen.patterns),
        "checked" if args.check else ("wrote " + ", ".join(os.path.relpath(p, ROOT) for p in stale)
                                      if stale else "unchanged")))


if __name__ == "__main__":
    main()
