// Precompiled for every test file: the heavy headers that nearly all of them use.
#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>
