/// The database behind the platform's store, for the tables a component adds with its own
/// ``StoreMigration``s: a component's store protocol has one implementation per case.
public enum StoreDatabase: Sendable {
    case sqlite(SQLiteStore)
    case postgres(PostgresStore)

    /// The platform's own stores on this database.
    public var store: any PlatformStore {
        switch self {
        case .sqlite(let store): store
        case .postgres(let store): store
        }
    }
}
