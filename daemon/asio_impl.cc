// Asio's compiled part: built once here, since BOOST_ASIO_SEPARATE_COMPILATION is set.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
