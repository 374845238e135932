import PostgresNIO

extension PostgresBindings {
    /// `$1`, `$2`, … bound to `values` in order: the one way CSIC binds a fixed list of parameters.
    init(_ values: any PostgresDynamicTypeEncodable...) {
        self.init(capacity: values.count)
        for value in values { append(value) }
    }
}
