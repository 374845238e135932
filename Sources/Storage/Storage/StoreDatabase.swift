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

    /// Time series on this database (``TimeSeriesStore``): what market and mining engines keep their samples in.
    public var timeSeries: any TimeSeriesStore {
        switch self {
        case .sqlite(let store): SQLiteTimeSeries(store)
        case .postgres(let store): PostgresTimeSeries(store)
        }
    }
}
