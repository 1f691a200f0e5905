import ArgumentParser
import Foundation
import Handlers
import Logging

#if canImport(Glibc)
import Glibc
#endif

@main
struct CognitoFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cognito-fcgi",
        abstract: "A self-hosted Amazon Cognito user-pool service (cognito-idp) served over FastCGI.",
        subcommands: [Serve.self, Keys.self]
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve FastCGI requests.")

    @Option(help: "The data folder (created 0700 if missing).")
    var data: String

    @Option(help: "Unix socket to listen on. Without it, the listening socket is inherited as fd 0 (spawn-fcgi) or from systemd (LISTEN_FDS).")
    var socket: String?

    @Option(name: .customLong("socket-mode"), help: "Permissions of the unix socket, octal.")
    var socketMode: String = "0660"

    @Option(help: "Accept threads per process.")
    var threads: Int = 8

    @Option(help: "Worker processes sharing the socket (a supervisor restarts any that die).")
    var processes: Int = 1

    @Option(help: "IAM authorization: sigv4 (verify signatures) or any-signature (emulator mode).")
    var auth: String = "sigv4"

    @Option(help: "Base URL of token issuers; the pool id is appended.")
    var issuer: String = "http://127.0.0.1:8080"

    @Option(help: "Region used in new pool ids.")
    var region: String = "us-east-1"

    @Option(name: .customLong("max-body"), help: "Largest request body accepted, in bytes.")
    var maxBody: Int = 1 << 20

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(help: "Deliver email through this sendmail-compatible command (e.g. \"/usr/sbin/sendmail -t -i\") instead of the outbox folder <data>/outbox.")
    var sendmail: String?

    @Option(name: .customLong("mail-from"), help: "From address of delivered email.")
    var mailFrom: String = "no-reply@localhost"

    @Option(name: .customLong("argon2-memory"), help: "Argon2id memory per password hash, KiB (OWASP minimum 19456).")
    var argon2Memory: UInt32 = 19456

    @Option(name: .customLong("argon2-iterations"), help: "Argon2id passes (OWASP minimum 2).")
    var argon2Iterations: UInt32 = 2

    @Flag(name: .customLong("allow-weak-password-hashing"), help: "Allow Argon2id parameters below OWASP's minimum (test setups only).")
    var allowWeakPasswordHashing = false

    @Flag(name: .customLong("worker"), help: .hidden)
    var isChildWorker = false

    func validate() throws {
        guard AuthMode(rawValue: auth) != nil else { throw ValidationError("--auth must be sigv4 or any-signature") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard mode_t(socketMode, radix: 8) != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0660") }
        guard (1...256).contains(threads), (1...256).contains(processes) else {
            throw ValidationError("--threads and --processes must be between 1 and 256")
        }
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
    }

    func run() throws {
        umask(0o077)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cognito-fcgi")
        let authMode = AuthMode(rawValue: auth) ?? .sigv4
        if authMode == .anySignature {
            logger.warning("--auth any-signature: IAM operations accept any well-formed signature (emulator mode)")
        }

        let listenFD: Int32
        if let socket {
            listenFD = try Listener.bind(path: socket, mode: mode_t(socketMode, radix: 8) ?? 0o660)
        } else {
            listenFD = Listener.inherited()
        }

        if processes > 1 && !isChildWorker {
            try Supervisor(listenFD: listenFD, count: processes, arguments: childArguments(), logger: logger).run()
            if let socket { unlink(socket) }
            return
        }

        let config = Config(
            dataDirectory: URL(fileURLWithPath: data), region: region, issuerBaseURL: issuer, authMode: authMode,
            maxBodyBytes: maxBody)
        let store = try Store(root: data)
        let hashing = PasswordHasher.Configuration(
            memoryKiB: argon2Memory, iterations: argon2Iterations, allowWeakParameters: allowWeakPasswordHashing)
        if hashing.isWeak {
            logger.warning("password hashing below OWASP's minimum (--allow-weak-password-hashing): test setups only")
        }
        let passwords = try PasswordHasher(hashing)
        var sender: (any Sender)? = nil
        if let sendmail {
            let command = sendmail.split(separator: " ").map(String.init)
            sender = SendmailSender(
                command: command, from: mailFrom, smsSender: OutboxSender(dataDirectory: store.root), logger: logger)
        }
        let services = Services(config: config, store: store, logger: logger, sender: sender, passwords: passwords)
        let service = try Service.production(services)
        logger.info("serving", metadata: ["pid": "\(getpid())", "threads": "\(threads)"])
        FastCGIServer(listenFD: listenFD, service: service, maxBodyBytes: maxBody, logger: logger).run(threads: threads)
        if let socket, !isChildWorker { unlink(socket) }
    }

    /// The arguments a child worker gets: the same settings, the socket inherited as fd 0.
    func childArguments() -> [String] {
        [
            "serve", "--worker", "--data", data, "--threads", String(threads), "--auth", auth, "--issuer", issuer,
            "--region", region, "--max-body", String(maxBody), "--log-level", logLevel,
            "--mail-from", mailFrom, "--argon2-memory", String(argon2Memory), "--argon2-iterations", String(argon2Iterations),
        ] + (sendmail.map { ["--sendmail", $0] } ?? []) + (allowWeakPasswordHashing ? ["--allow-weak-password-hashing"] : [])
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the IAM access keys that sign requests to IAM operations.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an access key pair and print it once.")

        @Option(help: "The data folder.")
        var data: String

        @Option(name: .customLong("aws-credentials"), help: "Also write the pair as an AWS shared-credentials file (profile default).")
        var awsCredentials: String?

        func run() throws {
            umask(0o077)
            _ = try Store(root: data)
            let key = try CredentialsFile(dataDirectory: URL(fileURLWithPath: data)).create(random: SystemRandom(), now: Date())
            print("AccessKeyId: \(key.accessKeyId)")
            print("SecretAccessKey: \(key.secretAccessKey)")
            if let awsCredentials {
                let text = "[default]\naws_access_key_id = \(key.accessKeyId)\naws_secret_access_key = \(key.secretAccessKey)\n"
                try Data(text.utf8).write(to: URL(fileURLWithPath: awsCredentials), options: .atomic)
                chmod(awsCredentials, 0o600)
            }
        }
    }
}
