// librdkafka (Debian: librdkafka-dev), found with pkg-config; only built with the Kafka trait.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
