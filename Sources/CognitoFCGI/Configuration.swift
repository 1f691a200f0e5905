import ArgumentParser
import Foundation
import Handlers
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `serve`'s settings, as flags. Every option is optional here: a value a flag leaves out comes from the
/// environment (`COGNITO_FCGI_<FLAG>`), then from the config file, then from the default (`Settings.keys`).
/// `check-config` takes the same options, so it checks exactly what `serve` would run with.
struct ServeOptions: ParsableArguments {
    @Option(help: "A JSON config file whose keys are these flags' names without the leading dashes, e.g. {\"data\": \"/var/lib/cognito-fcgi\", \"max-body\": 1048576}. Also COGNITO_FCGI_CONFIG. Each flag also reads COGNITO_FCGI_<FLAG> (COGNITO_FCGI_MAX_BODY). Precedence: flag > environment > file > default.")
    var config: String?

    @Option(help: "The data folder (created 0700 if missing). Required: here, in COGNITO_FCGI_DATA or in the config file.")
    var data: String?

    @Option(help: "Unix socket to listen on. Without it, the listening socket is inherited as fd 0 (spawn-fcgi) or from systemd (LISTEN_FDS).")
    var socket: String?

    @Option(name: .customLong("socket-mode"), help: "Permissions of the unix socket, octal. (default: 0660)")
    var socketMode: String?

    @Option(help: "Accept threads per process. (default: 8)")
    var threads: Int?

    @Option(help: "Worker processes sharing the socket; with --socket (or more than one) a supervisor restarts any that die. (default: 1)")
    var processes: Int?

    @Option(help: "IAM authorization: sigv4 (verify signatures) or any-signature (emulator mode). (default: sigv4)")
    var auth: String?

    @Option(help: "Base URL of token issuers; the pool id is appended. (default: http://127.0.0.1:8080)")
    var issuer: String?

    @Option(help: "Region used in new pool ids. (default: us-east-1)")
    var region: String?

    @Option(name: .customLong("max-body"), help: "Largest request body accepted, in bytes. (default: 1048576)")
    var maxBody: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. (default: info)")
    var logLevel: String?

    @Option(help: "Deliver email through this sendmail-compatible command (e.g. \"/usr/sbin/sendmail -t -i\") instead of the outbox folder <data>/outbox.")
    var sendmail: String?

    @Option(name: .customLong("mail-from"), help: "From address of delivered email. (default: no-reply@localhost)")
    var mailFrom: String?

    @Option(name: .customLong("argon2-memory"), help: "Argon2id memory per password hash, KiB (OWASP minimum 19456). (default: 19456)")
    var argon2Memory: UInt32?

    @Option(name: .customLong("argon2-iterations"), help: "Argon2id passes (OWASP minimum 2). (default: 2)")
    var argon2Iterations: UInt32?

    @Flag(name: .customLong("allow-weak-password-hashing"), inversion: .prefixedNo, help: "Allow Argon2id parameters below OWASP's minimum (test setups only). (default: no)")
    var allowWeakPasswordHashing: Bool?

    /// The values given as flags, by key (the flag's name without dashes).
    func flagValues() -> [String: String] {
        var values: [String: String] = [:]
        values["data"] = data
        values["socket"] = socket
        values["socket-mode"] = socketMode
        values["threads"] = threads.map(String.init)
        values["processes"] = processes.map(String.init)
        values["auth"] = auth
        values["issuer"] = issuer
        values["region"] = region
        values["max-body"] = maxBody.map(String.init)
        values["log-level"] = logLevel
        values["sendmail"] = sendmail
        values["mail-from"] = mailFrom
        values["argon2-memory"] = argon2Memory.map(String.init)
        values["argon2-iterations"] = argon2Iterations.map(String.init)
        values["allow-weak-password-hashing"] = allowWeakPasswordHashing.map { $0 ? "true" : "false" }
        return values
    }

    /// The effective settings. `layered: false` (a child worker, whose parent passes every value as a flag)
    /// reads neither the environment nor the config file, so parent and children can never disagree.
    func resolve(layered: Bool = true) throws(ConfigurationError) -> Settings {
        let environment = layered ? ProcessInfo.processInfo.environment : [:]
        let file = layered ? (config ?? environment["COGNITO_FCGI_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }) : nil
        return try Settings.resolve(flags: flagValues(), environment: environment, configFile: file)
    }
}

/// A configuration that cannot be used, with the key and where its value came from.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
}

/// The effective settings of `serve`, resolved from flags, environment, config file and defaults.
struct Settings {
    /// Where a value came from, strongest first.
    enum Source: CustomStringConvertible {
        case flag
        case environment(String)
        case file(String)
        case defaultValue

        var description: String {
            switch self {
            case .flag: return "flag"
            case .environment(let name): return "env \(name)"
            case .file(let path): return "file \(path)"
            case .defaultValue: return "default"
            }
        }
    }

    enum Kind {
        case string
        case integer
        case bool
    }

    /// One setting: its key (the long flag without `--`, the config file key, and, upper-cased with `_` for
    /// `-`, the suffix of its environment variable) and its default (nil: unset unless given).
    struct Key {
        let name: String
        let kind: Kind
        let defaultValue: String?

        var environmentName: String {
            "COGNITO_FCGI_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        }

        /// Shown masked by `check-config`. None of today's keys holds a secret; any future key whose name
        /// says it does is masked without further thought.
        var isSecret: Bool {
            kind == .string && ["secret", "password", "token", "credential"].contains { name.contains($0) }
        }
    }

    /// Every setting, in the order `check-config` prints them.
    static let keys: [Key] = [
        Key(name: "data", kind: .string, defaultValue: nil),
        Key(name: "socket", kind: .string, defaultValue: nil),
        Key(name: "socket-mode", kind: .string, defaultValue: "0660"),
        Key(name: "processes", kind: .integer, defaultValue: "1"),
        Key(name: "threads", kind: .integer, defaultValue: "8"),
        Key(name: "auth", kind: .string, defaultValue: "sigv4"),
        Key(name: "issuer", kind: .string, defaultValue: "http://127.0.0.1:8080"),
        Key(name: "region", kind: .string, defaultValue: "us-east-1"),
        Key(name: "max-body", kind: .integer, defaultValue: "1048576"),
        Key(name: "log-level", kind: .string, defaultValue: "info"),
        Key(name: "sendmail", kind: .string, defaultValue: nil),
        Key(name: "mail-from", kind: .string, defaultValue: "no-reply@localhost"),
        Key(name: "argon2-memory", kind: .integer, defaultValue: "19456"),
        Key(name: "argon2-iterations", kind: .integer, defaultValue: "2"),
        Key(name: "allow-weak-password-hashing", kind: .bool, defaultValue: "false"),
    ]

    var data: String
    var socket: String?
    var socketMode: mode_t
    var processes: Int
    var threads: Int
    var auth: AuthMode
    var issuer: String
    var region: String
    var maxBody: Int
    var logLevel: Logger.Level
    var sendmail: String?
    var mailFrom: String
    var argon2Memory: UInt32
    var argon2Iterations: UInt32
    var allowWeakPasswordHashing: Bool

    /// The config file read, if any.
    var configFile: String?
    /// Each key's value as given (strings) and where it came from; absent keys are unset.
    var raw: [String: (value: String, source: Source)]

    // MARK: Resolving

    static func resolve(flags: [String: String], environment: [String: String], configFile: String?)
        throws(ConfigurationError) -> Settings
    {
        let file = try configFile.map { path throws(ConfigurationError) in try readFile(path) } ?? [:]
        var raw: [String: (value: String, source: Source)] = [:]
        for key in keys {
            if let value = flags[key.name] {
                raw[key.name] = (value, .flag)
            } else if let value = environment[key.environmentName], !value.isEmpty {
                // An empty variable counts as unset: container tools often define every variable.
                raw[key.name] = (value, .environment(key.environmentName))
            } else if let value = file[key.name], let configFile {
                raw[key.name] = (value, .file(configFile))
            } else if let value = key.defaultValue {
                raw[key.name] = (value, .defaultValue)
            }
        }
        return try Settings(raw: raw, configFile: configFile)
    }

    /// Reads a config file: one JSON object, keys from `keys`, values of the key's type (integers may also
    /// be written as strings; `null` means unset). Anything else is refused with the reason.
    static func readFile(_ path: String) throws(ConfigurationError) -> [String: String] {
        guard let contents = FileManager.default.contents(atPath: path) else {
            let reason = access(path, F_OK) != 0 ? "no such file" : "not a readable file"
            throw ConfigurationError(description: "config file \(path): cannot read it (\(reason))")
        }
        let bytes = Array(contents)
        let document: JSON
        do {
            document = try JSON.parse(bytes)
        } catch {
            throw ConfigurationError(description: "config file \(path): not valid JSON: \(error.message)")
        }
        guard case .object(let members) = document else {
            throw ConfigurationError(
                description: "config file \(path): must be a JSON object such as {\"data\": \"/var/lib/cognito-fcgi\"}")
        }
        var values: [String: String] = [:]
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            guard let key = keys.first(where: { $0.name == name }) else {
                let known = keys.map(\.name).joined(separator: ", ")
                throw ConfigurationError(description: "config file \(path): unknown key \"\(name)\" (known keys: \(known))")
            }
            switch (key.kind, value) {
            case (_, .null): continue
            case (.string, .string(let s)), (.bool, .string(let s)): values[name] = s
            // A mistyped number is refused here even when a flag or variable overrides it today.
            case (.integer, .string(let s)) where Int(s) != nil: values[name] = s
            case (.integer, .int(let n)): values[name] = String(n)
            case (.bool, .bool(let b)): values[name] = b ? "true" : "false"
            default:
                let wanted = key.kind == .string ? "a string" : key.kind == .integer ? "an integer" : "true or false"
                throw ConfigurationError(description: "config file \(path): \"\(name)\" must be \(wanted)")
            }
        }
        return values
    }

    /// Parses and checks every value; each error names the key and where its value came from.
    init(raw: [String: (value: String, source: Source)], configFile: String?) throws(ConfigurationError) {
        self.raw = raw
        self.configFile = configFile

        func fail(_ name: String, _ problem: String) -> ConfigurationError {
            guard let (value, source) = raw[name] else { return ConfigurationError(description: "\(name): \(problem)") }
            let shown = Settings.keys.first { $0.name == name }?.isSecret == true ? "****" : value
            return ConfigurationError(description: "\(name) = \"\(shown)\" (from \(source)): \(problem)")
        }
        func string(_ name: String) -> String? { raw[name]?.value }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            guard let text = raw[name]?.value, let n = Int(text) else { throw fail(name, "must be an integer") }
            guard range.contains(n) else {
                throw fail(name, "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return n
        }

        guard let data = string("data"), !data.isEmpty else {
            throw ConfigurationError(
                description: "data: required: give --data DIR, COGNITO_FCGI_DATA or \"data\" in the config file")
        }
        self.data = data
        socket = string("socket")
        if let socket {
            guard !socket.isEmpty, socket.utf8.count < 108 else {
                throw fail("socket", "must be a path shorter than 108 bytes (the limit of a unix socket address)")
            }
        }
        guard let modeText = string("socket-mode"), let mode = mode_t(modeText, radix: 8), mode <= 0o777 else {
            throw fail("socket-mode", "must be octal permissions, e.g. 0660")
        }
        socketMode = mode
        processes = try integer("processes", 1...256)
        threads = try integer("threads", 1...256)
        guard let authMode = AuthMode(rawValue: string("auth") ?? "") else {
            throw fail("auth", "must be sigv4 or any-signature")
        }
        auth = authMode
        guard let issuer = string("issuer"), let url = URL(string: issuer), ["http", "https"].contains(url.scheme ?? ""),
            url.host != nil, !issuer.hasSuffix("/")
        else {
            throw fail("issuer", "must be an http(s) URL without a trailing slash, e.g. https://auth.example.com")
        }
        self.issuer = issuer
        // The region becomes part of pool ids, ARNs and file names: letters, digits and dashes only.
        guard let region = string("region"), region.range(of: "^[a-z0-9-]+$", options: .regularExpression) != nil
        else {
            throw fail("region", "must be a region name such as us-east-1 (lower-case letters, digits, dashes)")
        }
        self.region = region
        maxBody = try integer("max-body", 1...(64 << 20))
        guard let level = Logger.Level(rawValue: string("log-level") ?? "") else {
            throw fail("log-level", "must be trace, debug, info, notice, warning, error or critical")
        }
        logLevel = level
        sendmail = string("sendmail")
        if let sendmail, sendmail.split(separator: " ").isEmpty { throw fail("sendmail", "must name a command") }
        mailFrom = string("mail-from") ?? ""
        guard mailFrom.contains("@") else { throw fail("mail-from", "must be an email address") }
        argon2Memory = UInt32(try integer("argon2-memory", 1...Int(UInt32.max)))
        argon2Iterations = UInt32(try integer("argon2-iterations", 1...Int(UInt32.max)))
        switch string("allow-weak-password-hashing")?.lowercased() {
        case "true", "1", "yes", "on": allowWeakPasswordHashing = true
        case "false", "0", "no", "off": allowWeakPasswordHashing = false
        default: throw fail("allow-weak-password-hashing", "must be true or false")
        }
        let hashing = PasswordHasher.Configuration(
            memoryKiB: argon2Memory, iterations: argon2Iterations, allowWeakParameters: allowWeakPasswordHashing)
        // The hasher's own checks (OWASP's minimum unless allowed, libargon2's limits): one set of rules.
        do {
            _ = try PasswordHasher(hashing)
        } catch {
            throw ConfigurationError(description: "argon2-memory/argon2-iterations: \(error)")
        }
    }

    // MARK: check-config

    /// The effective values, one `key = value (source)` line each, secrets masked.
    func report() -> String {
        var lines: [String] = []
        lines.append("config file: \(configFile ?? "(none)")")
        let width = Settings.keys.map(\.name.count).max() ?? 0
        for key in Settings.keys {
            let name = key.name.padding(toLength: width, withPad: " ", startingAt: 0)
            guard let (value, source) = raw[key.name] else {
                lines.append("\(name) = (unset)")
                continue
            }
            let shown = key.isSecret ? "****" : value
            lines.append("\(name) = \(shown) (\(source))")
        }
        return lines.joined(separator: "\n")
    }

    /// Checks against the file system that `serve` could start: problems that would stop it, as errors.
    func checkPaths() -> [String] {
        var problems: [String] = []
        var st = stat()
        if stat(data, &st) == 0 {
            if (st.st_mode & S_IFMT) != S_IFDIR { problems.append("data: \(data) exists and is not a folder") }
        } else {
            let parent = (data as NSString).deletingLastPathComponent
            if !parent.isEmpty && stat(parent, &st) != 0 {
                problems.append("data: neither \(data) nor its parent folder \(parent) exists")
            }
        }
        if let socket {
            let parent = (socket as NSString).deletingLastPathComponent
            if !parent.isEmpty && (stat(parent, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR) {
                problems.append("socket: the folder \(parent) does not exist")
            }
        }
        if let problem = sendmailProblem { problems.append(problem) }
        return problems
    }

    /// Why `--sendmail` cannot be run, found as `posix_spawnp` finds it (a name without `/` is looked up in
    /// PATH), or nil. `serve` refuses to start on it too, rather than fail every delivery later.
    var sendmailProblem: String? {
        guard let sendmail else { return nil }
        guard let command = sendmail.split(separator: " ").first.map(String.init) else {
            return "sendmail: no command given"
        }
        let candidates: [String]
        if command.contains("/") {
            candidates = [command]
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/bin:/usr/bin"
            candidates = path.split(separator: ":", omittingEmptySubsequences: false).map {
                ($0.isEmpty ? "." : String($0)) + "/" + command
            }
        }
        var st = stat()
        let found = candidates.contains {
            access($0, X_OK) == 0 && stat($0, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
        }
        return found ? nil : "sendmail: \(command) is not an executable file"
            + (command.contains("/") ? "" : " in PATH")
    }
}

/// `cognito-fcgi check-config`: resolves the settings exactly as `serve` would, prints them, and fails on
/// anything `serve` would refuse.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print the effective values (secrets masked).",
        discussion: """
            Takes the same options as `serve`. Each value comes from, strongest first: its flag, the \
            environment variable COGNITO_FCGI_<FLAG> (e.g. COGNITO_FCGI_MAX_BODY), the config file \
            (--config or COGNITO_FCGI_CONFIG), the default. Exits non-zero when serve would refuse the \
            configuration.
            """)

    @OptionGroup var options: ServeOptions

    func run() throws {
        let settings = try options.resolve()
        print(settings.report())
        let problems = settings.checkPaths()
        guard problems.isEmpty else {
            throw ConfigurationError(description: problems.joined(separator: "\n"))
        }
        let unknown = ProcessInfo.processInfo.environment.keys.filter { name in
            name.hasPrefix("COGNITO_FCGI_") && name != "COGNITO_FCGI_CONFIG"
                && !Settings.keys.contains { $0.environmentName == name }
        }.sorted()
        for name in unknown { print("note: \(name) is not a setting; ignored") }
        print("configuration OK")
    }
}
