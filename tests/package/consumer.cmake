# Builds one package-test consumer from scratch and runs it; the run must exit 0.
#
#   cmake -DMODE=find_package|add_subdirectory|pkg_config -DWORK_DIR=<scratch dir> ... -P consumer.cmake
#
# find_package:     configures find_package_consumer/ against the installed PREFIX.
# add_subdirectory: configures add_subdirectory_consumer/ with SMTP_SOURCE_DIR.
# pkg_config:       compiles find_package_consumer/main.cpp with CXX and
#                   `pkg-config --cflags --libs smtp` from PREFIX. Prints "SKIPPED:" (which the
#                   test's SKIP_REGULAR_EXPRESSION turns into a skip) if there is no pkg-config.
#
# The outer build's toolchain is passed through: GENERATOR, MAKE_PROGRAM, CXX, CXX_FLAGS,
# CXX_LAUNCHER, BUILD_TYPE, BOOST_DIR, OPENSSL_ROOT_DIR, PREFIX_PATH, BOOST_INCLUDE_DIR,
# EXE_SUFFIX (CXX_LAUNCHER is one program; PREFIX_PATH is a list with '|' instead of ';').
cmake_minimum_required(VERSION 3.20)

foreach(var IN ITEMS MODE WORK_DIR CXX)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "consumer.cmake: ${var} is not set")
    endif()
endforeach()
set(here "${CMAKE_CURRENT_LIST_DIR}")

function(run)
    cmake_parse_arguments(arg "" "WORKING_DIRECTORY;TIMEOUT" "COMMAND" ${ARGN})
    if(NOT arg_WORKING_DIRECTORY)
        set(arg_WORKING_DIRECTORY "${WORK_DIR}")
    endif()
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 550)
    endif()
    list(JOIN arg_COMMAND " " shown)
    message(STATUS "Running: ${shown}")
    execute_process(COMMAND ${arg_COMMAND} WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}"
                    TIMEOUT ${arg_TIMEOUT} RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "Failed (${result}): ${shown}")
    endif()
endfunction()

# Runs the built consumer (at most 60 s: a server that never greets must not hang the test).
function(run_consumer build_dir)
    foreach(candidate IN ITEMS "${build_dir}/consumer${EXE_SUFFIX}"
                               "${build_dir}/${BUILD_TYPE}/consumer${EXE_SUFFIX}"
                               "${build_dir}/Debug/consumer${EXE_SUFFIX}")
        if(EXISTS "${candidate}")
            run(COMMAND "${candidate}" TIMEOUT 60)
            return()
        endif()
    endforeach()
    message(FATAL_ERROR "The consumer program was not found in ${build_dir}")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

if(MODE STREQUAL "find_package" OR MODE STREQUAL "add_subdirectory")
    # The outer build's CMAKE_PREFIX_PATH goes through the environment (no list quoting).
    if(PREFIX_PATH)
        if(CMAKE_HOST_WIN32)
            string(REPLACE "|" ";" prefix_path "${PREFIX_PATH}")
        else()
            string(REPLACE "|" ":" prefix_path "${PREFIX_PATH}")
        endif()
        set(ENV{CMAKE_PREFIX_PATH} "${prefix_path}")
    endif()
    set(configure "${CMAKE_COMMAND}" -S "${here}/${MODE}_consumer" -B "${WORK_DIR}/build"
        "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
    if(GENERATOR)
        list(APPEND configure -G "${GENERATOR}")
    endif()
    if(MAKE_PROGRAM)
        list(APPEND configure "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
    endif()
    if(CXX_LAUNCHER)
        list(APPEND configure "-DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER}")
    endif()
    if(BUILD_TYPE)
        list(APPEND configure "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
    endif()
    if(BOOST_DIR)
        list(APPEND configure "-DBoost_DIR=${BOOST_DIR}")
    endif()
    if(OPENSSL_ROOT_DIR)
        list(APPEND configure "-DOPENSSL_ROOT_DIR=${OPENSSL_ROOT_DIR}")
    endif()
    if(MODE STREQUAL "find_package")
        if(NOT PREFIX OR NOT VERSION)
            message(FATAL_ERROR "consumer.cmake: find_package needs PREFIX and VERSION")
        endif()
        list(APPEND configure "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DSMTP_REQUIRED_VERSION=${VERSION}")
    else()
        if(NOT SOURCE_DIR)
            message(FATAL_ERROR "consumer.cmake: add_subdirectory needs SOURCE_DIR")
        endif()
        list(APPEND configure "-DSMTP_SOURCE_DIR=${SOURCE_DIR}")
    endif()

    run(COMMAND ${configure})
    set(build "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
    if(BUILD_TYPE)
        list(APPEND build --config "${BUILD_TYPE}")
    endif()
    run(COMMAND ${build})
    run_consumer("${WORK_DIR}/build")

elseif(MODE STREQUAL "pkg_config")
    if(NOT PKG_CONFIG OR NOT EXISTS "${PKG_CONFIG}")
        message("SKIPPED: pkg-config was not found when the build was configured")
        return()
    endif()
    if(NOT PREFIX OR NOT PKGCONFIG_DIR)
        message(FATAL_ERROR "consumer.cmake: pkg_config needs PREFIX and PKGCONFIG_DIR")
    endif()
    set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${PKGCONFIG_DIR}")
    execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs smtp
                    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "pkg-config --cflags --libs smtp failed (PKG_CONFIG_PATH=$ENV{PKG_CONFIG_PATH})")
    endif()
    message(STATUS "pkg-config --cflags --libs smtp: ${flags}")
    separate_arguments(flags UNIX_COMMAND "${flags}")
    separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
    # smtp.pc says nothing about Boost (it has no .pc file): name its directory unless the
    # compiler searches it anyway.
    set(boost_flags)
    if(BOOST_INCLUDE_DIR)
        set(boost_flags "-I${BOOST_INCLUDE_DIR}")
    endif()
    run(COMMAND ${CXX_LAUNCHER} "${CXX}" ${cxx_flags} -std=c++20 ${boost_flags}
                "${here}/find_package_consumer/main.cpp" ${flags} -o "consumer${EXE_SUFFIX}")
    run_consumer("${WORK_DIR}")

else()
    message(FATAL_ERROR "consumer.cmake: unknown MODE '${MODE}'")
endif()
