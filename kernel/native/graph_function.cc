// Graph functions for the tfjs-node addon: record a piece of eager work (a training step's forward
// and backward pass, an AdamW update) once, as TensorFlow ops, and run it afterwards as ONE
// TensorFlow function instead of hundreds of eager calls.
//
// Why: each eager op costs about 0.09 ms of dispatch through JavaScript, N-API and TFE_Execute, and
// allocates its output; a step of the lesson's model is about a thousand of them. A function runs
// the same kernels from TensorFlow's executor, after Grappler has pruned and fused the graph, and
// reuses buffers between ops; with XLA (optional) the elementwise chains compile into single loops.
//
// How (the JavaScript side is src/runtime/graph-function.ts):
//   graphBegin(argIds)                       placeholders for the arguments, in order
//   graphAddConst(id)                        a tensor made from JavaScript values while recording
//   graphAddOp(op, attrs, inputIds, outIds)  an op that just ran eagerly, with the same attributes
//   graphEnd(name, outIds, xla)              turns the graph into function `name` and registers it
//   graphCall(name, argIds)                  runs it; returns tensor infos like executeOp
//   graphRelease(name) / graphAbort()
// A tensor that is neither an argument nor made while recording (a cached constant of the model) is
// captured: the function gets a hidden argument and keeps its own reference to the tensor.
//
// This file is ours; the build adds it to tfjs-node's two sources with two one-line hooks (see
// kernel/native-build.mjs: a friend declaration and a registration call).
#include <node_api.h>

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"
#include "tfjs_backend.h"

namespace tfnodejs {

// Reads the backend's private members (the build adds `friend struct GraphFunctionAccess;`).
struct GraphFunctionAccess {
  static TFE_Context *Context(TFJSBackend *b) { return b->tfe_context_; }
  static TFE_TensorHandle *Handle(TFJSBackend *b, int32_t id) {
    auto it = b->tfe_handle_map_.find(id);
    return it == b->tfe_handle_map_.end() ? nullptr : it->second;
  }
  static napi_value OutputInfo(napi_env env, TFJSBackend *b, TFE_TensorHandle *h) {
    return b->GenerateOutputTensorInfo(env, h);
  }
};

namespace {

// ---- small helpers -------------------------------------------------------------------------------

struct Status {
  TF_Status *s = TF_NewStatus();
  ~Status() { TF_DeleteStatus(s); }
  bool ok() const { return TF_GetCode(s) == TF_OK; }
  std::string message() const { return TF_Message(s); }
};

napi_value Throw(napi_env env, const std::string &message) {
  napi_throw_error(env, nullptr, ("graph function: " + message).c_str());
  return nullptr;
}

TFJSBackend *Backend(napi_env env) {
  TFJSBackend *backend = nullptr;
  napi_get_instance_data(env, reinterpret_cast<void **>(&backend));
  return backend;
}

bool GetInt32Array(napi_env env, napi_value array, std::vector<int32_t> *out) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) return false;
  out->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    napi_value v;
    if (napi_get_element(env, array, i, &v) != napi_ok) return false;
    if (napi_get_value_int32(env, v, &(*out)[i]) != napi_ok) return false;
  }
  return true;
}

bool GetString(napi_env env, napi_value value, std::string *out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &len) != napi_ok) return false;
  out->assign(len, '\0');
  return napi_get_value_string_utf8(env, value, &(*out)[0], len + 1, &len) == napi_ok;
}

std::vector<napi_value> Args(napi_env env, napi_callback_info info, size_t count) {
  std::vector<napi_value> args(count);
  size_t argc = count;
  napi_get_cb_info(env, info, &argc, args.data(), nullptr, nullptr);
  return args;
}

// ---- the op's argument layout, from its OpDef ------------------------------------------------------

// Inputs of an op are grouped into arguments; a list argument (AddN's inputs, ConcatV2's values)
// takes several tensors. Eager execution takes them flat; a graph op needs to know the grouping.
struct InputArg {
  std::string number_attr;     // "N": a list whose length is attribute N
  std::string type_list_attr;  // "T": a list of mixed types, as long as attribute T
  bool IsList() const { return !number_attr.empty() || !type_list_attr.empty(); }
};

// A minimal protobuf reader: enough of OpDef (field 2: repeated ArgDef input_arg) and ArgDef
// (field 5: number_attr, field 6: type_list_attr) to know which inputs are lists.
struct ProtoReader {
  const uint8_t *p, *end;
  bool Varint(uint64_t *v) {
    *v = 0;
    for (int shift = 0; p < end && shift < 64; shift += 7) {
      uint8_t b = *p++;
      *v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  // Calls f(field, wire type, bytes for wire type 2) for each field; false on malformed input.
  template <typename F>
  bool Fields(F f) {
    while (p < end) {
      uint64_t key, len;
      if (!Varint(&key)) return false;
      int field = int(key >> 3), wire = int(key & 7);
      if (wire == 0) {
        if (!Varint(&len)) return false;
      } else if (wire == 1) {
        p += 8;
      } else if (wire == 5) {
        p += 4;
      } else if (wire == 2) {
        if (!Varint(&len) || len > uint64_t(end - p)) return false;
        f(field, p, size_t(len));
        p += len;
      } else {
        return false;
      }
    }
    return p == end;
  }
};

bool InputArgs(TF_Graph *graph, const char *op_type, std::vector<InputArg> *out, std::string *error) {
  Status status;
  TF_Buffer *buffer = TF_NewBuffer();
  TF_GraphGetOpDef(graph, op_type, buffer, status.s);
  if (!status.ok()) {
    *error = status.message();
    TF_DeleteBuffer(buffer);
    return false;
  }
  const uint8_t *data = static_cast<const uint8_t *>(buffer->data);
  ProtoReader op{data, data + buffer->length};
  bool ok = op.Fields([&](int field, const uint8_t *bytes, size_t len) {
    if (field != 2) return;
    InputArg arg;
    ProtoReader a{bytes, bytes + len};
    a.Fields([&](int f, const uint8_t *b, size_t n) {
      if (f == 5) arg.number_attr.assign(reinterpret_cast<const char *>(b), n);
      if (f == 6) arg.type_list_attr.assign(reinterpret_cast<const char *>(b), n);
    });
    out->push_back(arg);
  });
  TF_DeleteBuffer(buffer);
  if (!ok) *error = std::string("could not read the OpDef of ") + op_type;
  return ok;
}

// ---- attributes, as tfjs-node passes them: [{name, type, value}] ----------------------------------

struct Attr {
  std::string name;
  int type = 0;
  bool is_list = false;
  std::vector<int64_t> ints;  // TF_ATTR_INT, TF_ATTR_TYPE, TF_ATTR_SHAPE dims, TF_ATTR_BOOL
  std::vector<float> floats;
  std::string str;
};

bool IsArray(napi_env env, napi_value v) {
  bool is = false;
  napi_is_array(env, v, &is);
  return is;
}

bool ReadAttr(napi_env env, napi_value js, Attr *attr) {
  napi_value name, type, value;
  if (napi_get_named_property(env, js, "name", &name) != napi_ok ||
      napi_get_named_property(env, js, "type", &type) != napi_ok ||
      napi_get_named_property(env, js, "value", &value) != napi_ok)
    return false;
  if (!GetString(env, name, &attr->name) || napi_get_value_int32(env, type, &attr->type) != napi_ok) return false;
  if (attr->type == TF_ATTR_STRING) return GetString(env, value, &attr->str);
  attr->is_list = IsArray(env, value);
  std::vector<napi_value> items;
  if (attr->is_list) {
    uint32_t n = 0;
    napi_get_array_length(env, value, &n);
    for (uint32_t i = 0; i < n; ++i) {
      napi_value item;
      napi_get_element(env, value, i, &item);
      items.push_back(item);
    }
  } else {
    items.push_back(value);
  }
  for (napi_value item : items) {
    if (attr->type == TF_ATTR_FLOAT) {
      double d;
      if (napi_get_value_double(env, item, &d) != napi_ok) return false;
      attr->floats.push_back(float(d));
    } else if (attr->type == TF_ATTR_BOOL) {
      bool b;
      if (napi_get_value_bool(env, item, &b) != napi_ok) return false;
      attr->ints.push_back(b ? 1 : 0);
    } else {
      int64_t i;
      if (napi_get_value_int64(env, item, &i) != napi_ok) return false;
      attr->ints.push_back(i);
    }
  }
  return true;
}

void SetAttr(TF_OperationDescription *desc, const Attr &a, TF_Status *status) {
  const char *n = a.name.c_str();
  switch (a.type) {
    case TF_ATTR_STRING:
      TF_SetAttrString(desc, n, a.str.data(), a.str.size());
      break;
    case TF_ATTR_INT:
      if (a.is_list)
        TF_SetAttrIntList(desc, n, a.ints.data(), int(a.ints.size()));
      else
        TF_SetAttrInt(desc, n, a.ints[0]);
      break;
    case TF_ATTR_FLOAT:
      if (a.is_list)
        TF_SetAttrFloatList(desc, n, a.floats.data(), int(a.floats.size()));
      else
        TF_SetAttrFloat(desc, n, a.floats[0]);
      break;
    case TF_ATTR_BOOL:
      if (a.is_list) {
        std::vector<unsigned char> b(a.ints.begin(), a.ints.end());
        TF_SetAttrBoolList(desc, n, b.data(), int(b.size()));
      } else {
        TF_SetAttrBool(desc, n, a.ints[0] ? 1 : 0);
      }
      break;
    case TF_ATTR_TYPE:
      TF_SetAttrType(desc, n, TF_DataType(a.ints[0]));
      break;
    case TF_ATTR_SHAPE:
      TF_SetAttrShape(desc, n, a.ints.data(), int(a.ints.size()));
      break;
    default:
      TF_SetStatus(status, TF_UNIMPLEMENTED, ("attribute type " + std::to_string(a.type)).c_str());
  }
}

// ---- recording and registered functions ------------------------------------------------------------

struct Recording {
  TF_Graph *graph = TF_NewGraph();
  std::unordered_map<int32_t, TF_Output> values;  // tensor id -> where it comes from in the graph
  std::vector<TF_Output> inputs;                  // placeholders: the arguments, then the captures
  std::vector<TFE_TensorHandle *> captured;       // our own references to captured tensors
  int next_name = 0;
  std::string Name(const char *prefix) { return std::string(prefix) + "_" + std::to_string(next_name++); }
  ~Recording() {
    TF_DeleteGraph(graph);
    for (auto *h : captured) TFE_DeleteTensorHandle(h);
  }
};

struct Function {
  std::vector<TFE_TensorHandle *> captured;
  int num_args = 0;
  int num_outputs = 0;
  ~Function() {
    for (auto *h : captured) TFE_DeleteTensorHandle(h);
  }
};

std::unique_ptr<Recording> recording;
std::unordered_map<std::string, std::unique_ptr<Function>> functions;

// A placeholder with the tensor's dtype and exact shape (exact shapes let Grappler and XLA plan).
bool AddPlaceholder(TFJSBackend *b, int32_t id, std::string *error) {
  TFE_TensorHandle *h = GraphFunctionAccess::Handle(b, id);
  if (!h) {
    *error = "tensor id " + std::to_string(id) + " is not alive";
    return false;
  }
  Status status;
  int rank = TFE_TensorHandleNumDims(h, status.s);
  std::vector<int64_t> dims(rank);
  for (int i = 0; i < rank && status.ok(); ++i) dims[i] = TFE_TensorHandleDim(h, i, status.s);
  TF_OperationDescription *desc = TF_NewOperation(recording->graph, "Placeholder", recording->Name("arg").c_str());
  TF_SetAttrType(desc, "dtype", TFE_TensorHandleDataType(h));
  TF_SetAttrShape(desc, "shape", dims.data(), rank);
  TF_Operation *op = TF_FinishOperation(desc, status.s);
  if (!status.ok()) {
    *error = status.message();
    return false;
  }
  recording->values[id] = TF_Output{op, 0};
  recording->inputs.push_back(TF_Output{op, 0});
  return true;
}

napi_value GraphBegin(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 1);
  std::vector<int32_t> ids;
  if (!GetInt32Array(env, args[0], &ids)) return Throw(env, "graphBegin(argIds: number[])");
  recording.reset(new Recording());
  std::string error;
  for (int32_t id : ids) {
    if (recording->values.count(id)) {
      recording.reset();
      return Throw(env, "the same tensor is passed twice as an argument (id " + std::to_string(id) + ")");
    }
    if (!AddPlaceholder(Backend(env), id, &error)) {
      recording.reset();
      return Throw(env, error);
    }
  }
  return nullptr;
}

napi_value GraphAddConst(napi_env env, napi_callback_info info) {
  if (!recording) return Throw(env, "graphAddConst outside a recording");
  auto args = Args(env, info, 1);
  int32_t id;
  napi_get_value_int32(env, args[0], &id);
  TFE_TensorHandle *h = GraphFunctionAccess::Handle(Backend(env), id);
  if (!h) return Throw(env, "constant tensor id " + std::to_string(id) + " is not alive");
  Status status;
  TF_Tensor *value = TFE_TensorHandleResolve(h, status.s);
  if (!status.ok()) return Throw(env, status.message());
  TF_OperationDescription *desc = TF_NewOperation(recording->graph, "Const", recording->Name("const").c_str());
  TF_SetAttrTensor(desc, "value", value, status.s);
  TF_SetAttrType(desc, "dtype", TF_TensorType(value));
  TF_Operation *op = status.ok() ? TF_FinishOperation(desc, status.s) : nullptr;
  TF_DeleteTensor(value);
  if (!status.ok()) return Throw(env, status.message());
  recording->values[id] = TF_Output{op, 0};
  return nullptr;
}

napi_value GraphAddOp(napi_env env, napi_callback_info info) {
  if (!recording) return Throw(env, "graphAddOp outside a recording");
  auto args = Args(env, info, 4);
  std::string op_type;
  std::vector<int32_t> input_ids, output_ids;
  if (!GetString(env, args[0], &op_type) || !GetInt32Array(env, args[2], &input_ids) ||
      !GetInt32Array(env, args[3], &output_ids))
    return Throw(env, "graphAddOp(op: string, attrs, inputIds: number[], outputIds: number[])");
  std::vector<Attr> attrs;
  uint32_t num_attrs = 0;
  napi_get_array_length(env, args[1], &num_attrs);
  for (uint32_t i = 0; i < num_attrs; ++i) {
    napi_value js;
    napi_get_element(env, args[1], i, &js);
    Attr a;
    if (!ReadAttr(env, js, &a)) return Throw(env, op_type + ": an attribute could not be read");
    attrs.push_back(a);
  }

  // Inputs: values recorded so far, or captures of tensors made before the recording.
  TFJSBackend *backend = Backend(env);
  std::vector<TF_Output> inputs;
  for (int32_t id : input_ids) {
    auto it = recording->values.find(id);
    if (it == recording->values.end()) {
      std::string error;
      if (!AddPlaceholder(backend, id, &error)) return Throw(env, op_type + ": " + error);
      Status status;
      recording->captured.push_back(TFE_TensorHandleCopySharingTensor(GraphFunctionAccess::Handle(backend, id), status.s));
      it = recording->values.find(id);
    }
    inputs.push_back(it->second);
  }

  // Group the flat inputs into the op's arguments.
  std::vector<InputArg> arg_defs;
  std::string error;
  if (!InputArgs(recording->graph, op_type.c_str(), &arg_defs, &error)) return Throw(env, op_type + ": " + error);
  std::vector<int> lengths(arg_defs.size(), 1);
  int singles = 0, lists = 0;
  for (const auto &a : arg_defs) (a.IsList() ? lists : singles) += 1;
  for (size_t i = 0; i < arg_defs.size(); ++i) {
    if (!arg_defs[i].IsList()) continue;
    if (lists == 1) {
      lengths[i] = int(inputs.size()) - singles;
      continue;
    }
    const std::string &attr_name =
        arg_defs[i].number_attr.empty() ? arg_defs[i].type_list_attr : arg_defs[i].number_attr;
    lengths[i] = -1;
    for (const auto &a : attrs)
      if (a.name == attr_name) lengths[i] = a.is_list ? int(a.ints.size()) : int(a.ints[0]);
    if (lengths[i] < 0) return Throw(env, op_type + ": the length of list input attribute " + attr_name + " is unknown");
  }

  Status status;
  TF_OperationDescription *desc =
      TF_NewOperation(recording->graph, op_type.c_str(), recording->Name(op_type.c_str()).c_str());
  size_t next = 0;
  for (size_t i = 0; i < arg_defs.size(); ++i) {
    if (next + lengths[i] > inputs.size()) return Throw(env, op_type + ": fewer inputs than its arguments need");
    if (arg_defs[i].IsList())
      TF_AddInputList(desc, inputs.data() + next, lengths[i]);
    else
      TF_AddInput(desc, inputs[next]);
    next += lengths[i];
  }
  if (next != inputs.size()) return Throw(env, op_type + ": more inputs than its arguments take");
  for (const auto &a : attrs) {
    SetAttr(desc, a, status.s);
    if (!status.ok()) return Throw(env, op_type + ": " + status.message());
  }
  TF_Operation *op = TF_FinishOperation(desc, status.s);
  if (!status.ok()) return Throw(env, op_type + ": " + status.message());
  if (TF_OperationNumOutputs(op) != int(output_ids.size()))
    return Throw(env, op_type + ": the graph op has " + std::to_string(TF_OperationNumOutputs(op)) +
                          " outputs, the eager op returned " + std::to_string(output_ids.size()));
  for (size_t i = 0; i < output_ids.size(); ++i) recording->values[output_ids[i]] = TF_Output{op, int(i)};
  return nullptr;
}

napi_value GraphEnd(napi_env env, napi_callback_info info) {
  if (!recording) return Throw(env, "graphEnd outside a recording");
  std::unique_ptr<Recording> rec(recording.release());
  auto args = Args(env, info, 4);
  std::string name;
  std::vector<int32_t> arg_ids, output_ids;
  bool xla = false;
  if (!GetString(env, args[0], &name) || !GetInt32Array(env, args[1], &arg_ids) ||
      !GetInt32Array(env, args[2], &output_ids) || napi_get_value_bool(env, args[3], &xla) != napi_ok)
    return Throw(env, "graphEnd(name: string, argIds: number[], outputIds: number[], xla: boolean)");
  if (functions.count(name)) return Throw(env, "a function named " + name + " already exists");

  // Outputs pass through Identity ops, so that an output may also be an argument or a constant.
  Status status;
  std::vector<TF_Output> outputs;
  for (int32_t id : output_ids) {
    auto it = rec->values.find(id);
    if (it == rec->values.end())
      return Throw(env, "output tensor id " + std::to_string(id) + " was not made while recording");
    TF_OperationDescription *desc = TF_NewOperation(rec->graph, "Identity", rec->Name("out").c_str());
    TF_AddInput(desc, it->second);
    TF_Operation *op = TF_FinishOperation(desc, status.s);
    if (!status.ok()) return Throw(env, status.message());
    outputs.push_back(TF_Output{op, 0});
  }
  TF_Function *fn = TF_GraphToFunction(rec->graph, name.c_str(), 0, -1, nullptr, int(rec->inputs.size()),
                                       rec->inputs.data(), int(outputs.size()), outputs.data(), nullptr, nullptr,
                                       nullptr, status.s);
  if (!status.ok()) return Throw(env, status.message());
  if (xla) {
    // AttrValue{b: true}: field 5, varint 1. The same switch as tf.function(jit_compile=True).
    const unsigned char attr_true[] = {0x28, 0x01};
    TF_FunctionSetAttrValueProto(fn, "_XlaMustCompile", attr_true, sizeof(attr_true), status.s);
  }
  if (status.ok()) TFE_ContextAddFunction(GraphFunctionAccess::Context(Backend(env)), fn, status.s);
  TF_DeleteFunction(fn);
  if (!status.ok()) return Throw(env, status.message());

  auto f = std::make_unique<Function>();
  f->captured.swap(rec->captured);
  f->num_args = int(arg_ids.size());
  f->num_outputs = int(outputs.size());
  napi_value result;
  napi_create_int32(env, int32_t(f->captured.size()), &result);
  functions[name] = std::move(f);
  return result;
}

napi_value GraphAbort(napi_env env, napi_callback_info info) {
  recording.reset();
  return nullptr;
}

napi_value GraphCall(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 2);
  std::string name;
  std::vector<int32_t> arg_ids;
  if (!GetString(env, args[0], &name) || !GetInt32Array(env, args[1], &arg_ids))
    return Throw(env, "graphCall(name: string, argIds: number[])");
  auto it = functions.find(name);
  if (it == functions.end()) return Throw(env, "no function named " + name);
  Function &f = *it->second;
  if (int(arg_ids.size()) != f.num_args)
    return Throw(env, name + " takes " + std::to_string(f.num_args) + " arguments, got " +
                          std::to_string(arg_ids.size()));
  TFJSBackend *backend = Backend(env);
  Status status;
  TFE_Op *op = TFE_NewOp(GraphFunctionAccess::Context(backend), name.c_str(), status.s);
  if (!status.ok()) return Throw(env, status.message());
  std::unique_ptr<TFE_Op, void (*)(TFE_Op *)> owned(op, TFE_DeleteOp);
  for (int32_t id : arg_ids) {
    TFE_TensorHandle *h = GraphFunctionAccess::Handle(backend, id);
    if (!h) return Throw(env, name + ": argument tensor id " + std::to_string(id) + " is not alive");
    TFE_OpAddInput(op, h, status.s);
    if (!status.ok()) return Throw(env, status.message());
  }
  for (TFE_TensorHandle *h : f.captured) {
    TFE_OpAddInput(op, h, status.s);
    if (!status.ok()) return Throw(env, status.message());
  }
  std::vector<TFE_TensorHandle *> results(f.num_outputs, nullptr);
  int n = f.num_outputs;
  TFE_Execute(op, results.data(), &n, status.s);
  if (!status.ok()) return Throw(env, name + ": " + status.message());
  napi_value infos;
  napi_create_array_with_length(env, n, &infos);
  for (int i = 0; i < n; ++i) napi_set_element(env, infos, i, GraphFunctionAccess::OutputInfo(env, backend, results[i]));
  return infos;
}

napi_value GraphRelease(napi_env env, napi_callback_info info) {
  auto args = Args(env, info, 1);
  std::string name;
  if (!GetString(env, args[0], &name)) return Throw(env, "graphRelease(name: string)");
  auto it = functions.find(name);
  if (it == functions.end()) return nullptr;
  Status status;
  TFE_ContextRemoveFunction(GraphFunctionAccess::Context(Backend(env)), name.c_str(), status.s);
  functions.erase(it);
  return nullptr;
}

}  // namespace

void RegisterGraphFunctions(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"graphBegin", nullptr, GraphBegin, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphAddConst", nullptr, GraphAddConst, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphAddOp", nullptr, GraphAddOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphEnd", nullptr, GraphEnd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphAbort", nullptr, GraphAbort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphCall", nullptr, GraphCall, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphRelease", nullptr, GraphRelease, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}

}  // namespace tfnodejs
