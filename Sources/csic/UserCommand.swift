import APIGateway
import ArgumentParser
import CSICCore
import CSICPlatform
import Foundation
import Storage

/// `csic user ...`: accounts on the configured store while the platform is stopped (while it runs, the same
/// through `/api/v1/users`). Every change is an audit record with the operator who made it.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage console and API accounts on a stopped platform (audited).",
        subcommands: [
            Add.self, List.self, Disable.self, ResetPassword.self, AddKey.self, RevokeKey.self, EnrollTOTP.self, RequireTOTP.self,
        ])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The username (1 to 64 of a-z, A-Z, 0-9, '.', '_', '-').") var name: String
        @Option(help: "admin, supervisor, analyst, auditor or reporting_entity.") var role: String
        @OptionGroup var password: PasswordOptions
        @Option(name: .customLong("entity"), help: "The licensed entity a reporting_entity acts for.") var entityID: String?
        @Option(name: .customLong("display-name"), help: "The name shown in the console.") var displayName: String?
        @Flag(help: "Enroll a TOTP second factor and print its secret once.") var totp = false

        func run() async throws {
            guard let role = UserAccount.Role(rawValue: role) else {
                throw ValidationError("--role must be one of \(UserAccount.Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let password = try password.read(required: role != .reportingEntity)
            try await store.withAccess { access in
                let user = try await access.addUser(
                    name, role: role, password: password, entityID: entityID, displayName: displayName, by: StoreOptions.origin)
                print("user \(user.username) added with role \(user.role.rawValue)")
                if totp { try await printTOTP(access.enrollTOTP(name, by: StoreOptions.origin)) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withAccess { access in
                print("username\trole\tentity\tstatus\tpassword\ttotp")
                for user in try await access.users() {
                    print(
                        [
                            user.username, user.role.rawValue, user.entityID ?? "-", user.disabled ? "disabled" : "enabled",
                            user.passwordHash.isEmpty ? "none" : "set", user.totpSecret == nil ? "no" : "yes",
                        ].joined(separator: "\t"))
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: its tokens and keys stop working.")
        @OptionGroup var store: StoreOptions
        @Argument var name: String

        func run() async throws {
            try await store.withAccess { access in
                try await access.disableUser(name, by: StoreOptions.origin)
                print("user \(name) disabled")
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-password", abstract: "Set a new password.")
        @OptionGroup var store: StoreOptions
        @Argument var name: String
        @OptionGroup var password: PasswordOptions

        func run() async throws {
            let password = try password.read(required: true) ?? ""
            try await store.withAccess { access in
                try await access.resetPassword(name, password: password, by: StoreOptions.origin)
                print("password of \(name) set; its sessions are signed out")
            }
        }
    }

    struct AddKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-key", abstract: "Make an API key; it is printed once.")
        @OptionGroup var store: StoreOptions
        @Argument var name: String
        @Option(help: "What the key is for.") var label: String = ""

        func run() async throws {
            try await store.withAccess { access in
                let issued = try await access.addAPIKey(name, label: label, by: StoreOptions.origin)
                print("key id \(issued.key.id)")
                print(issued.text)
            }
        }
    }

    struct RevokeKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-key", abstract: "Revoke an API key.")
        @OptionGroup var store: StoreOptions
        @Argument var name: String
        @Argument(help: "The key id (16 hex digits).") var keyID: String

        func run() async throws {
            try await store.withAccess { access in
                try await access.revokeAPIKey(name, keyID: keyID, by: StoreOptions.origin)
                print("key \(keyID) of \(name) revoked")
            }
        }
    }

    struct EnrollTOTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enroll-totp", abstract: "Enroll a TOTP second factor; the secret is printed once.")
        @OptionGroup var store: StoreOptions
        @Argument var name: String

        func run() async throws {
            try await store.withAccess { access in try await printTOTP(access.enrollTOTP(name, by: StoreOptions.origin)) }
        }
    }

    struct RequireTOTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "require-totp", abstract: "Set the roles that must sign in with a TOTP code (empty: none).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Comma-separated roles.") var roles: String

        func run() async throws {
            var set: Set<UserAccount.Role> = []
            for name in roles.split(separator: ",") {
                guard let role = UserAccount.Role(rawValue: String(name)) else { throw ValidationError("unknown role \(name)") }
                set.insert(role)
            }
            try await store.withAccess { access in
                try await access.setTOTPPolicy(set, by: StoreOptions.origin)
                print("TOTP required for: \(set.isEmpty ? "none" : set.map(\.rawValue).sorted().joined(separator: ", "))")
            }
        }
    }
}

private func printTOTP(_ enrolled: (secret: String, url: String)) {
    print("TOTP secret \(enrolled.secret)")
    print(enrolled.url)
}

/// `--password P` or `--password-stdin` (one line).
struct PasswordOptions: ParsableArguments {
    @Option(help: "The password (visible in the process list; prefer --password-stdin).") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.") var passwordStdin = false

    func read(required: Bool) throws -> String? {
        if password != nil, passwordStdin { throw ValidationError("give --password or --password-stdin, not both") }
        if passwordStdin {
            guard let line = Swift.readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
            return line
        }
        if required, password == nil { throw ValidationError("a password is required: --password P or --password-stdin") }
        return password
    }
}
