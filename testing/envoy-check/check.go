package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"
)

// Check returns one "path: problem" line per violation, or none when Envoy
// would accept the bootstrap as far as its protos and load-time checks tell.
//
// Two stages; the second runs only when the first found nothing:
//  1. decode: every key is a field, every "@type" a known type, every value
//     parses (one field at a time, so each error names its path);
//  2. validate: protoc-gen-validate's ValidateAll on every message, unpacking
//     each Any, which ValidateAll itself never looks into; and what Envoy
//     checks when it loads the config (refs.go).
func Check(yamlText []byte) []string {
	violations := check(yamlText)
	// One line each: the YAML parser, for one, reports over several.
	for i, v := range violations {
		violations[i] = strings.Join(strings.Fields(v), " ")
	}
	return violations
}

func check(yamlText []byte) []string {
	// Strict: a repeated key is a mistake, whichever copy Envoy would keep.
	jsonText, err := yaml.YAMLToJSONStrict(yamlText)
	if err != nil {
		return []string{"input: not YAML: " + err.Error()}
	}
	// Numbers stay as written: a float64 would round a large uint64.
	dec := json.NewDecoder(bytes.NewReader(jsonText))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return []string{"input: " + err.Error()}
	}
	root, isObject := doc.(map[string]any)
	if !isObject {
		return []string{"input: expected a YAML mapping (an Envoy v3 Bootstrap)"}
	}

	var bootstrap bootstrapv3.Bootstrap
	var r report
	r.object(bootstrap.ProtoReflect().Descriptor(), root, "", false)
	if len(r) > 0 {
		return r
	}
	// Stage 1 accepted every field; anything protojson still refuses (two
	// members of one oneof, say) has no narrower path than the document.
	if err := protojson.Unmarshal(jsonText, &bootstrap); err != nil {
		return []string{"input: " + protoErr(err)}
	}

	r.validate(bootstrap.ProtoReflect(), "")
	return append(r, crossRefs(&bootstrap)...)
}

type report []string

func (r *report) add(path, problem string) {
	if path == "" {
		path = "(root)"
	}
	*r = append(*r, path+": "+problem)
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// protojson prefixes its errors with "proto:" (sometimes followed by a
// no-break space, on purpose) and a line:column into JSON the user never saw.
var protoErrPrefix = regexp.MustCompile(`^proto:[\s\x{00a0}]*(\(line \d+:\d+\):[\s\x{00a0}]*)?`)

func protoErr(err error) string {
	return protoErrPrefix.ReplaceAllString(err.Error(), "")
}

// --- stage 1: decode -----------------------------------------------------

// Well-known types whose JSON form is not an object of their fields: these
// are parsed whole rather than walked.
var specialJSON = map[protoreflect.FullName]bool{
	"google.protobuf.Duration": true, "google.protobuf.Timestamp": true,
	"google.protobuf.FieldMask": true, "google.protobuf.Struct": true,
	"google.protobuf.Value": true, "google.protobuf.ListValue": true,
	"google.protobuf.DoubleValue": true, "google.protobuf.FloatValue": true,
	"google.protobuf.Int64Value": true, "google.protobuf.UInt64Value": true,
	"google.protobuf.Int32Value": true, "google.protobuf.UInt32Value": true,
	"google.protobuf.BoolValue": true, "google.protobuf.StringValue": true,
	"google.protobuf.BytesValue": true,
}

const anyName protoreflect.FullName = "google.protobuf.Any"

// walkable says whether a field's JSON is walked key by key (a message, or a
// list or map of messages) rather than parsed whole.
func walkable(fd protoreflect.FieldDescriptor) protoreflect.MessageDescriptor {
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	md := fd.Message()
	if md == nil || specialJSON[md.FullName()] {
		return nil
	}
	return md
}

func (r *report) object(md protoreflect.MessageDescriptor, obj map[string]any, path string, inAny bool) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if inAny && key == "@type" {
			continue
		}
		if strings.HasPrefix(key, "[") {
			continue // an extension field: left to protojson
		}
		// protojson's own lookup: the JSON (lowerCamel) name, then the proto name.
		fd := md.Fields().ByJSONName(key)
		if fd == nil {
			fd = md.Fields().ByTextName(key)
		}
		p := join(path, key)
		if fd == nil {
			r.add(p, fmt.Sprintf("unknown field (%s has no field %q)", md.FullName(), key))
			continue
		}
		val := obj[key]
		elem := walkable(fd)
		switch {
		case elem == nil || val == nil:
			r.leaf(md, key, val, p)
		case fd.IsMap():
			m, ok := val.(map[string]any)
			if !ok {
				r.leaf(md, key, val, p)
				continue
			}
			mk := make([]string, 0, len(m))
			for k := range m {
				mk = append(mk, k)
			}
			slices.Sort(mk)
			for _, k := range mk {
				r.message(elem, m[k], fmt.Sprintf("%s[%q]", p, k))
			}
		case fd.IsList():
			list, ok := val.([]any)
			if !ok {
				r.leaf(md, key, val, p)
				continue
			}
			for i, v := range list {
				r.message(elem, v, fmt.Sprintf("%s[%d]", p, i))
			}
		default:
			r.message(elem, val, p)
		}
	}
}

func (r *report) message(md protoreflect.MessageDescriptor, val any, path string) {
	if val == nil {
		return // null list or map entries: left to protojson
	}
	obj, ok := val.(map[string]any)
	if !ok {
		r.add(path, fmt.Sprintf("expected a mapping (%s), got %s", md.FullName(), jsonKind(val)))
		return
	}
	if md.FullName() != anyName {
		r.object(md, obj, path, false)
		return
	}
	typeURL, ok := obj["@type"].(string)
	if !ok {
		if len(obj) > 0 {
			r.add(path, `Any without a string "@type"`)
		}
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
	if err != nil {
		r.add(join(path, "@type"), fmt.Sprintf("unknown type %q (not an Envoy v3 config or extension type)", typeURL))
		return
	}
	if specialJSON[mt.Descriptor().FullName()] {
		if b, err := json.Marshal(obj); err == nil {
			if err := protojson.Unmarshal(b, &anypb.Any{}); err != nil {
				r.add(path, protoErr(err))
			}
		}
		return
	}
	r.object(mt.Descriptor(), obj, path, true)
}

// leaf parses one field alone into an empty parent, so that protojson's
// complaint about its value (a negative uint32, an enum typo, a malformed
// duration) comes with the field's full path.
func (r *report) leaf(parent protoreflect.MessageDescriptor, key string, val any, path string) {
	b, err := json.Marshal(map[string]any{key: val})
	if err != nil {
		r.add(path, err.Error())
		return
	}
	if err := protojson.Unmarshal(b, newMessage(parent)); err != nil {
		r.add(path, protoErr(err))
	}
}

func newMessage(md protoreflect.MessageDescriptor) proto.Message {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil {
		return mt.New().Interface()
	}
	return dynamicpb.NewMessage(md)
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// --- stage 2: validate ---------------------------------------------------

// The shape of protoc-gen-validate's errors.
type fieldError interface {
	Field() string
	Reason() string
}

// The reason PGV gives a parent for a child that failed; the walk reports the
// child's own violation when it gets there.
const embeddedReason = "embedded message failed validation"

func (r *report) validate(m protoreflect.Message, path string) {
	if v, ok := m.Interface().(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			errs := []error{err}
			if multi, ok := err.(interface{ AllErrors() []error }); ok {
				errs = multi.AllErrors()
			}
			for _, e := range errs {
				fe, ok := e.(fieldError)
				switch {
				case !ok:
					r.add(path, e.Error())
				case fe.Reason() != embeddedReason:
					field, note := protoField(m.Descriptor(), fe.Field())
					r.add(join(path, field), fe.Reason()+note)
				}
			}
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := join(path, string(fd.Name()))
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			var keys []protoreflect.MapKey
			v.Map().Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k)
				return true
			})
			slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
			for _, k := range keys {
				r.child(v.Map().Get(k).Message(), fmt.Sprintf("%s[%q]", p, k.String()))
			}
		case fd.Message() == nil:
		case fd.IsList():
			for i := range v.List().Len() {
				r.child(v.List().Get(i).Message(), fmt.Sprintf("%s[%d]", p, i))
			}
		default:
			r.child(v.Message(), p)
		}
		return true
	})
}

// TypedStruct wrappers carry a type URL and the config as a Struct.
var typedStructs = map[protoreflect.FullName]bool{
	"xds.type.v3.TypedStruct":  true,
	"udpa.type.v1.TypedStruct": true,
}

func (r *report) child(m protoreflect.Message, path string) {
	if m.Descriptor().FullName() != anyName {
		r.validate(m, path)
		return
	}
	packed, ok := m.Interface().(*anypb.Any)
	if !ok {
		r.add(path, "Any of an unexpected Go type")
		return
	}
	if packed.GetTypeUrl() == "" {
		return
	}
	inner, err := anypb.UnmarshalNew(packed, proto.UnmarshalOptions{})
	if err != nil {
		r.add(path, fmt.Sprintf("cannot unpack %q: %v", packed.GetTypeUrl(), protoErr(err)))
		return
	}
	if typedStructs[inner.ProtoReflect().Descriptor().FullName()] {
		r.typedStruct(inner.ProtoReflect(), path)
		return
	}
	r.validate(inner.ProtoReflect(), path)
}

// typedStruct checks the config inside a TypedStruct as the type it names.
func (r *report) typedStruct(ts protoreflect.Message, path string) {
	fields := ts.Descriptor().Fields()
	typeURL := ts.Get(fields.ByName("type_url")).String()
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
	if err != nil {
		r.add(join(path, "type_url"), fmt.Sprintf("unknown type %q", typeURL))
		return
	}
	value := ts.Get(fields.ByName("value")).Message().Interface()
	b, err := protojson.Marshal(value)
	if err != nil {
		r.add(join(path, "value"), protoErr(err))
		return
	}
	inner := mt.New().Interface()
	if err := protojson.Unmarshal(b, inner); err != nil {
		r.add(join(path, "value"), protoErr(err))
		return
	}
	r.validate(inner.ProtoReflect(), join(path, "value"))
}

// protoField turns PGV's Go field name ("MaxTokens", "Listeners[2]", or a
// oneof's "ConfigType") into the proto name the YAML uses. A oneof is no
// YAML key, so its members are named in a note.
func protoField(md protoreflect.MessageDescriptor, goField string) (string, string) {
	name, suffix := goField, ""
	if i := strings.IndexByte(goField, '['); i >= 0 {
		name, suffix = goField[:i], goField[i:]
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	want := norm(name)
	for i := range md.Fields().Len() {
		if fd := md.Fields().Get(i); norm(string(fd.Name())) == want {
			return string(fd.Name()) + suffix, ""
		}
	}
	for i := range md.Oneofs().Len() {
		if od := md.Oneofs().Get(i); norm(string(od.Name())) == want {
			members := make([]string, od.Fields().Len())
			for j := range members {
				members[j] = string(od.Fields().Get(j).Name())
			}
			return string(od.Name()) + suffix, " (one of: " + strings.Join(members, ", ") + ")"
		}
	}
	return goField, ""
}
