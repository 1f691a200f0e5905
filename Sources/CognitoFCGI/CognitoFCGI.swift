import ArgumentParser
import CSystem
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
        subcommands: [Serve.self, Keys.self, CheckConfig.self, Backup.self]
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve FastCGI requests.")

    /// Every setting, from flags, COGNITO_FCGI_* variables, --config and defaults (Configuration.swift).
    @OptionGroup var options: ServeOptions

    @Flag(name: .customLong("worker"), help: .hidden)
    var isChildWorker = false

    func validate() throws {
        _ = try options.resolve(layered: !isChildWorker)
    }

    func run() throws {
        umask(0o077)
        if isChildWorker { Self.endWithTheSupervisor() }
        var settings = try options.resolve(layered: !isChildWorker)
        if isChildWorker { settings.socket = nil }  // a child always accepts on the fd 0 its parent passed
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cognito-fcgi")
        let authMode = settings.auth
        if authMode == .anySignature {
            logger.warning("--auth any-signature: IAM operations accept any well-formed signature (emulator mode)")
        }

        // A process that binds its own socket (--socket) has nobody to restart a worker that dies, so it always
        // supervises, a single worker included; one handed its socket (systemd, spawn-fcgi) has a manager that
        // restarts it and serves itself unless asked for more than one process.
        if !isChildWorker, let problem = settings.sendmailProblem { throw ConfigurationError(description: problem) }
        let supervises = !isChildWorker && (settings.processes > 1 || settings.socket != nil)
        if supervises {
            // The data folder is made ready first: one the workers cannot use ends this command with its error,
            // before a socket exists, instead of workers that die at start and are restarted again and again.
            try Store.prepare(root: settings.data)
        }

        let listenFD: Int32
        if let socket = settings.socket {
            listenFD = try Listener.bind(path: socket, mode: settings.socketMode)
        } else {
            listenFD = Listener.inherited()
        }

        if supervises {
            try Supervisor(
                listenFD: listenFD, count: settings.processes, arguments: Self.childArguments(settings), logger: logger
            ).run()
            if let socket = settings.socket { Listener.removeSocket(socket) }
            return
        }

        let config = Config(
            dataDirectory: URL(fileURLWithPath: settings.data), region: settings.region, issuerBaseURL: settings.issuer,
            authMode: authMode, maxBodyBytes: settings.maxBody)
        let store = try Store(root: settings.data)
        let hashing = PasswordHasher.Configuration(
            memoryKiB: settings.argon2Memory, iterations: settings.argon2Iterations,
            allowWeakParameters: settings.allowWeakPasswordHashing)
        if hashing.isWeak {
            logger.warning("password hashing below OWASP's minimum (--allow-weak-password-hashing): test setups only")
        }
        let passwords = try PasswordHasher(hashing)
        var sender: (any Sender)? = nil
        if let sendmail = settings.sendmail {
            let command = sendmail.split(separator: " ").map(String.init)
            sender = SendmailSender(
                command: command, from: settings.mailFrom, smsSender: OutboxSender(dataDirectory: store.root), logger: logger)
        }
        let services = Services(config: config, store: store, logger: logger, sender: sender, passwords: passwords)
        let service = try Service.production(services)
        logger.info("serving", metadata: ["pid": "\(getpid())", "threads": "\(settings.threads)"])
        try FastCGIServer(listenFD: listenFD, service: service, maxBodyBytes: settings.maxBody, logger: logger)
            .run(threads: settings.threads)
        if let socket = settings.socket, !isChildWorker { Listener.removeSocket(socket) }
    }

    /// A child worker is sent SIGTERM (and finishes its requests) when its supervisor dies, however it dies: left
    /// running, it would keep the socket, and a new `serve` would refuse to start beside it. Its parent at start
    /// is its supervisor; one already gone (dead before this was set) means stopping now. (The signal follows the
    /// thread that spawned the child: the supervisor has one thread.)
    static func endWithTheSupervisor() {
        let supervisor = getppid()
        #if os(Linux)
        _ = cognito_fcgi_set_parent_death_signal(SIGTERM)
        #endif
        if getppid() != supervisor || supervisor == 1 { Glibc.exit(0) }
    }

    /// The arguments a child worker gets: every effective setting as a flag (a child reads neither the
    /// environment nor the config file), the socket inherited as fd 0.
    static func childArguments(_ s: Settings) -> [String] {
        [
            "serve", "--worker", "--data", s.data, "--threads", String(s.threads), "--auth", s.auth.rawValue,
            "--issuer", s.issuer, "--region", s.region, "--max-body", String(s.maxBody),
            "--log-level", s.logLevel.rawValue, "--mail-from", s.mailFrom, "--argon2-memory", String(s.argon2Memory),
            "--argon2-iterations", String(s.argon2Iterations),
        ] + (s.sendmail.map { ["--sendmail", $0] } ?? [])
            + [s.allowWeakPasswordHashing ? "--allow-weak-password-hashing" : "--no-allow-weak-password-hashing"]
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
