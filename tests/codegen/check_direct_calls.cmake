# Compiles SOURCE to assembly with optimization and checks, for each function in FUNCTIONS
# (name=callee1,callee2), that its body calls each callee directly and makes no indirect call.
# Run as: cmake -DCXX=... -DINCLUDE=... -DSOURCE=... -DOUTPUT=... -DFUNCTIONS=... -P <this file>
execute_process(
    COMMAND ${CXX} -std=c++20 -O2 -S -fno-asynchronous-unwind-tables -fcf-protection=none
            -I${INCLUDE} ${SOURCE} -o ${OUTPUT}
    RESULT_VARIABLE status ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "compiling ${SOURCE} failed:\n${errors}")
endif()
file(READ ${OUTPUT} assembly)
foreach(entry IN LISTS FUNCTIONS)
    string(REPLACE "=" ";" parts "${entry}")
    list(GET parts 0 function)
    list(GET parts 1 callees)
    string(REPLACE "," ";" callees "${callees}")
    string(FIND "${assembly}" "\n${function}:" begin)
    if(begin EQUAL -1)
        message(FATAL_ERROR "${function} not found in the assembly")
    endif()
    string(SUBSTRING "${assembly}" ${begin} -1 rest)
    string(FIND "${rest}" ".size\t${function}" end)
    string(SUBSTRING "${rest}" 0 ${end} body)
    if(body MATCHES "(call|jmp)[ \t]+\\*")
        message(FATAL_ERROR "${function} makes an indirect call:\n${body}")
    endif()
    foreach(callee IN LISTS callees)
        if(NOT body MATCHES "(call|jmp)[ \t]+${callee}")
            message(FATAL_ERROR "${function} does not call ${callee} directly:\n${body}")
        endif()
    endforeach()
    message(STATUS "${function}: direct calls to ${callees}, no indirect call")
endforeach()
