# friendgate_proto_library(NAME <target> PROTOS <files relative to ROOT> ROOT <dir>
#                          [GRPC] [DEPS <targets>])
#
# Generates C++ (and, with GRPC, gRPC stubs with mocks) into the build tree and
# wraps them in a static library whose include directory is exported as
# SYSTEM, so generated code never lands in the source tree and its warnings
# never reach our targets.
function(friendgate_proto_library)
  cmake_parse_arguments(ARG "GRPC" "NAME;ROOT" "PROTOS;DEPS" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  set(srcs)
  set(hdrs)
  foreach(proto ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(outputs ${out_dir}/${base}.pb.cc ${out_dir}/${base}.pb.h)
    set(grpc_args)
    if(ARG_GRPC)
      list(APPEND outputs ${out_dir}/${base}.grpc.pb.cc ${out_dir}/${base}.grpc.pb.h
                          ${out_dir}/${base}_mock.grpc.pb.h)
      set(grpc_args --grpc_out=generate_mock_code=true:${out_dir}
                    --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc
              -I${ARG_ROOT} -I${CMAKE_SOURCE_DIR}/proto -I${Protobuf_INCLUDE_DIRS}
              --cpp_out=${out_dir} ${grpc_args} ${ARG_ROOT}/${proto}
      DEPENDS ${ARG_ROOT}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    foreach(f ${outputs})
      if(f MATCHES "\\.cc$")
        list(APPEND srcs ${f})
      else()
        list(APPEND hdrs ${f})
      endif()
    endforeach()
  endforeach()
  add_library(${ARG_NAME} STATIC ${srcs} ${hdrs})
  target_include_directories(${ARG_NAME} SYSTEM PUBLIC ${out_dir})
  target_link_libraries(${ARG_NAME} PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP ${ARG_DEPS})
  set_target_properties(${ARG_NAME} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
